// Helpers for integration tests that talk to the test API server (see global-setup.ts).
//
// Requests are made with the credentials of @kubernetes/client-node's KubeConfig but sent as raw JSON:
// the typed client serialises built-in kinds through its models, which would silently drop unknown
// fields and defeat fieldValidation=Strict.
import { KubeConfig } from '@kubernetes/client-node';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

import { KUBECONFIG_ENV } from './control-plane.js';

export { KUBECONFIG_ENV };
export const FIELD_MANAGER = 'kure-tests';

export function testKubeconfigPath(): string {
  const p = process.env[KUBECONFIG_ENV];
  if (!p) throw new Error(`${KUBECONFIG_ENV} is not set: run integration tests through jest's "integration" project (its global setup starts a control plane)`);
  return p;
}

/** A KubeConfig read from a kubeconfig file (e.g. of a dedicated control plane, see startControlPlane). */
export function kubeConfigFromFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

let cached: { path: string; kc: KubeConfig } | undefined;
export function loadTestKubeConfig(): KubeConfig {
  const p = testKubeconfigPath();
  if (cached?.path !== p) {
    const kc = new KubeConfig();
    kc.loadFromFile(p);
    cached = { path: p, kc };
  }
  return cached.kc;
}

/** Any Kubernetes object, with whatever fields its kind has (Kure's own typed resources fit too). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

/** An error answer of the API server; `message` is the Status message. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(method: string, urlPath: string, status: number, body: unknown) {
    const msg = (body as { message?: string } | undefined)?.message ?? JSON.stringify(body);
    super(`${method} ${urlPath}: ${status}: ${msg}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.body = body;
  }
}

/** One request to the API server; throws KubeApiError unless 2xx. */
export async function kubeRequest<T = unknown>(
  method: string,
  urlPath: string,
  body?: unknown,
  { contentType = 'application/json', kc = loadTestKubeConfig() }: { contentType?: string; kc?: KubeConfig } = {},
): Promise<KubeResponse<T>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(urlPath, cluster.server);
  const options: https.RequestOptions = { method, headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (payload !== undefined) options.headers = { ...options.headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) };
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = (url.protocol === 'http:' ? http : https).request(url, options, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
      r.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  let parsed: unknown = res.text;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    // not JSON (e.g. /readyz): keep the text
  }
  if (res.status < 200 || res.status > 299) throw new KubeApiError(method, urlPath, res.status, parsed);
  return { status: res.status, body: parsed as T };
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  categories?: string[];
}

const discoveryCache = new Map<string, ApiResource[]>();
async function resourcesOf(apiVersion: string, refresh = false, kc = loadTestKubeConfig()): Promise<ApiResource[]> {
  const key = `${kc.getCurrentCluster()?.server} ${apiVersion}`;
  let list = refresh ? undefined : discoveryCache.get(key);
  if (!list) {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    list = (await kubeRequest<{ resources: ApiResource[] }>('GET', base, undefined, { kc })).body.resources;
    discoveryCache.set(key, list);
  }
  return list;
}

/** The REST path of an object (collection path when it has no name); `kc`: another cluster than the test one. */
export async function objectPath(obj: KubeObject, kc = loadTestKubeConfig()): Promise<string> {
  const { apiVersion, kind } = obj;
  if (!apiVersion || !kind) throw new Error('object needs apiVersion and kind');
  const find = (list: ApiResource[]) => list.find((r) => r.kind === kind && !r.name.includes('/'));
  let resource: ApiResource | undefined;
  try {
    resource = find(await resourcesOf(apiVersion, false, kc));
    if (!resource) resource = find(await resourcesOf(apiVersion, true, kc));
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) throw err;
  }
  if (!resource) throw new Error(`the server does not serve kind ${kind} in ${apiVersion}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = resource.namespaced ? `/namespaces/${obj.metadata?.namespace ?? 'default'}` : '';
  const name = obj.metadata?.name ? `/${encodeURIComponent(obj.metadata.name)}` : '';
  return `${base}${ns}/${resource.name}${name}`;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Strict (default): unknown or duplicate fields are errors. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  fieldManager?: string;
  /** Another cluster than the test one (default: loadTestKubeConfig()). */
  kc?: KubeConfig;
}

/** Server-side apply (force, so a test may re-apply what another manager owns). */
export async function serverSideApply<T extends KubeObject = KubeObject>(obj: KubeObject, options: ApplyOptions = {}): Promise<T> {
  if (!obj.metadata?.name) throw new Error(`${obj.kind} needs metadata.name for server-side apply`);
  const query = new URLSearchParams({
    fieldManager: options.fieldManager ?? FIELD_MANAGER,
    fieldValidation: options.fieldValidation ?? 'Strict',
    force: 'true',
  });
  if (options.dryRun) query.set('dryRun', 'All');
  const kc = options.kc ?? loadTestKubeConfig();
  const { body } = await kubeRequest<T>('PATCH', `${await objectPath(obj, kc)}?${query}`, obj, {
    contentType: 'application/apply-patch+yaml', // JSON is YAML
    kc,
  });
  return body;
}

/**
 * Server-side apply with dryRun=All and fieldValidation=Strict: the API server validates the object
 * completely (schema, CEL, unknown fields, admission) and stores nothing. Resolves with the object as
 * it would be stored; rejects with a KubeApiError carrying the server's message.
 */
export function serverSideDryRun<T extends KubeObject = KubeObject>(obj: KubeObject): Promise<T> {
  return serverSideApply<T>(obj, { dryRun: true });
}

/** Reads every YAML document (recursively, *.yaml / *.yml) under a directory, in path order. */
export function readYamlObjects(dir: string): KubeObject[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const p = path.join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry)) files.push(p);
    }
  };
  walk(dir);
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
        return doc.toJS() as KubeObject | null;
      })
      .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o),
  );
}

type Crd = KubeObject & {
  spec: { group: string; names: { plural: string; kind: string; categories?: string[] } };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};

/**
 * Applies every CustomResourceDefinition found under `dir` and waits until all are Established
 * (on `kc`'s cluster when given, else the test cluster).
 */
export async function applyCrdsFromDir(dir: string, { timeoutMs = 60_000, kc }: { timeoutMs?: number; kc?: KubeConfig } = {}): Promise<Crd[]> {
  const crds = readYamlObjects(dir).filter((o): o is Crd => o.kind === 'CustomResourceDefinition');
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition under ${dir}`);
  for (const crd of crds) await serverSideApply<Crd>(crd, { kc });
  return Promise.all(crds.map((crd) => waitForCrdEstablished(crd.metadata!.name!, timeoutMs, kc)));
}

export async function waitForCrdEstablished(name: string, timeoutMs = 60_000, kc = loadTestKubeConfig()): Promise<Crd> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await kubeRequest<Crd>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, undefined, { kc });
    const conditions = body.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return body;
    const problem = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
    if (problem) throw new Error(`CRD ${name}: names not accepted: ${problem.message}`);
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms: ${JSON.stringify(conditions)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kinds (group/version/kind + resource) the server lists in a category, like `kubectl get <category>`. */
export async function resourcesInCategory(category: string): Promise<{ groupVersion: string; resource: string; kind: string }[]> {
  const { body } = await kubeRequest<{ groups: { preferredVersion: { groupVersion: string } }[] }>('GET', '/apis');
  const out: { groupVersion: string; resource: string; kind: string }[] = [];
  for (const gv of ['v1', ...body.groups.map((g) => g.preferredVersion.groupVersion)]) {
    for (const r of await resourcesOf(gv, true))
      if (!r.name.includes('/') && r.categories?.includes(category)) out.push({ groupVersion: gv, resource: r.name, kind: r.kind });
  }
  return out;
}

/**
 * Creates a namespace unique to this test file (and call): `<prefix>-<file stem>-<random>`, at most 63
 * characters. Namespaces are not deleted: the test API server runs no namespace controller, so a
 * deleted namespace would stay Terminating anyway, and the cluster is thrown away after the run.
 */
export async function createTestNamespace(prefix = 'kt', kc = loadTestKubeConfig()): Promise<string> {
  const testPath = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath ?? '';
  const stem = path
    .basename(testPath)
    .replace(/\.test\.[cm]?[jt]s$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const suffix = Math.random().toString(36).slice(2, 8);
  const name = [prefix, stem.slice(0, 63 - prefix.length - suffix.length - 2), suffix].filter(Boolean).join('-').replace(/--+/g, '-');
  await kubeRequest('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kure.dev/test': 'true' } } }, { kc });
  return name;
}
