// Regenerates the schemas Kure checks its output against (`npm run schemas`):
//
//   src/schemas/generated/kubernetes.ts   the built-in kinds of the target Kubernetes version: scope
//                                         (namespaced or not) from the API server's discovery, and the
//                                         OpenAPI v3 definitions they use, from its /openapi/v3
//   src/schemas/generated/gitops.ts       the Flux and Argo CD kinds: scope and openAPIV3Schema of the
//                                         upstream CRDs in ../shared/reference/crds (see SOURCES.md there)
//
// It starts the local test control plane (the real kube-apiserver, test/control-plane), or uses the
// cluster of KURE_TEST_KUBECONFIG when that is set. Descriptions are dropped (they are most of the
// bytes); every other keyword is kept as served. Output is deterministic: sorted keys.
import { KubeConfig } from '@kubernetes/client-node';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type * as ControlPlaneModule from '../test/support/control-plane.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
export const GENERATED = join(root, 'src', 'schemas', 'generated');
export const REFERENCE_CRDS = process.env.KURE_REFERENCE_CRDS ?? join(root, '..', 'shared', 'reference', 'crds');

type Json = Record<string, unknown>;

/** Keywords that change nothing a validator checks. */
const DROP = new Set(['description', 'example', 'externalDocs', 'x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key']);

/** `properties` maps user keys to schemas: never drop a property called `description`. */
function stripSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSchema);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Json;
  const outObj: Json = {};
  for (const k of Object.keys(obj).sort()) {
    if (DROP.has(k)) continue;
    const v = obj[k];
    if (k === 'properties' || k === 'patternProperties') {
      const props = v as Json;
      outObj[k] = Object.fromEntries(Object.keys(props).sort().map((p) => [p, stripSchema(props[p])]));
    } else outObj[k] = k === 'enum' || k === 'default' || k === 'required' ? v : stripSchema(v);
  }
  return outObj;
}

async function withCluster<T>(fn: (kc: KubeConfig, version: string) => Promise<T>): Promise<T> {
  const given = process.env.KURE_TEST_KUBECONFIG;
  const kc = new KubeConfig();
  if (given) {
    kc.loadFromFile(given);
    return fn(kc, await version(kc));
  }
  const { startControlPlane } = (await import(new URL('../test/support/control-plane.ts', import.meta.url).href)) as typeof ControlPlaneModule;
  const cp = await startControlPlane();
  try {
    kc.loadFromFile(cp.kubeconfigPath);
    return await fn(kc, await version(kc));
  } finally {
    await cp.stop();
  }
}

async function get<T>(kc: KubeConfig, path: string): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.request(new URL(path, cluster.server), options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${path}: ${res.statusCode}: ${body.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end();
  });
  return JSON.parse(text) as T;
}

export const version = async (kc: KubeConfig) => (await get<{ gitVersion: string }>(kc, '/version')).gitVersion;

interface Resource {
  name: string;
  kind: string;
  namespaced: boolean;
}

interface KindEntry {
  namespaced: boolean;
  versions: string[];
}

const kindKey = (group: string, kind: string) => (group ? `${group}/${kind}` : kind);

/** Every reachable definition name, starting from `names`. */
function closure(defs: Record<string, Json>, names: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Json)) {
      if (k === '$ref' && typeof x === 'string') {
        const name = x.replace('#/components/schemas/', '');
        if (!seen.has(name)) {
          seen.add(name);
          visit(defs[name]);
        }
      } else visit(x);
    }
  };
  for (const n of names) {
    seen.add(n);
    visit(defs[n]);
  }
  return seen;
}

/** src/schemas/generated/kubernetes.ts from the discovery and OpenAPI v3 of the cluster of `kc`. */
export async function kubernetes(kc: KubeConfig, gitVersion: string): Promise<string> {
  // Discovery: every group-version the server serves, with each resource's kind and scope.
  const kinds = new Map<string, KindEntry>();
  const groupVersions: string[] = ['v1'];
  const groups = await get<{ groups: { name: string; versions: { groupVersion: string }[] }[] }>(kc, '/apis');
  // Built-in kinds only: a cluster that has CRDs installed (the integration tests' does) serves them too.
  const crds = await get<{ items: { spec: { group: string } }[] }>(kc, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
  const custom = new Set(crds.items.map((c) => c.spec.group));
  for (const g of groups.groups) if (!custom.has(g.name)) for (const v of g.versions) groupVersions.push(v.groupVersion);
  for (const gv of groupVersions) {
    const list = await get<{ resources: Resource[] }>(kc, gv === 'v1' ? '/api/v1' : `/apis/${gv}`);
    const [group, ver] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
    for (const r of list.resources) {
      if (r.name.includes('/')) continue; // subresources
      const key = kindKey(group, r.kind);
      const entry = kinds.get(key) ?? { namespaced: r.namespaced, versions: [] };
      if (entry.namespaced !== r.namespaced) throw new Error(`${key}: scope differs between versions`);
      if (!entry.versions.includes(ver)) entry.versions.push(ver);
      kinds.set(key, entry);
    }
  }

  // OpenAPI v3: one document per group-version; definitions with the same name are the same type.
  const index = await get<{ paths: Record<string, { serverRelativeURL: string }> }>(kc, '/openapi/v3');
  const defs: Record<string, Json> = {};
  const byGvk: Record<string, string> = {};
  for (const gv of groupVersions) {
    const entry = index.paths[gv === 'v1' ? 'api/v1' : `apis/${gv}`];
    if (!entry) throw new Error(`/openapi/v3 has no document for ${gv}`);
    const doc = await get<{ components: { schemas: Record<string, Json> } }>(kc, entry.serverRelativeURL);
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      defs[name] ??= schema;
      const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[];
      for (const x of gvks) {
        const apiVersion = x.group ? `${x.group}/${x.version}` : x.version;
        // Only kinds that discovery lists as a resource of that group-version (not List, WatchEvent, options).
        if (kinds.get(kindKey(x.group, x.kind))?.versions.includes(x.version) && apiVersion === gv) byGvk[`${apiVersion}/${x.kind}`] = name;
      }
    }
  }
  const used = closure(defs, Object.values(byGvk));
  const definitions = Object.fromEntries(
    [...used].sort().map((n) => {
      if (!defs[n]) throw new Error(`definition ${n} is referenced but not served`);
      return [n, JSON.stringify(stripSchema(defs[n]))];
    }),
  );
  const sortedKinds = Object.fromEntries([...kinds.keys()].sort().map((k) => [k, { ...kinds.get(k)!, versions: kinds.get(k)!.versions.sort() }]));
  const sortedGvk = Object.fromEntries(Object.keys(byGvk).sort().map((k) => [k, byGvk[k]]));
  return [
    '// GENERATED by scripts/generate-schemas.ts from the discovery and /openapi/v3 of kube-apiserver',
    `// ${gitVersion} (test/control-plane). Do not edit; run \`npm run schemas\`. Kubernetes is Apache-2.0.`,
    '',
    `export const KUBERNETES_VERSION = ${JSON.stringify(gitVersion)};`,
    '',
    '/** Built-in kinds by `group/Kind` (core kinds: `Kind`): namespaced or not, and the versions served. */',
    `export const KINDS: Record<string, { namespaced: boolean; versions: string[] }> = ${JSON.stringify(sortedKinds, null, 1)};`,
    '',
    '/** `apiVersion/Kind` → name of its OpenAPI definition. */',
    `export const SCHEMA_OF: Record<string, string> = ${JSON.stringify(sortedGvk, null, 1)};`,
    '',
    '/** OpenAPI v3 definitions (descriptions dropped), each as JSON text: parsed only when first used. */',
    `export const DEFINITIONS: Record<string, string> = ${JSON.stringify(definitions, null, 1)};`,
    '',
  ].join('\n');
}

/** src/schemas/generated/gitops.ts from the reference CRDs. */
export function gitops(crdDir = REFERENCE_CRDS): string {
  const sources = readFileSync(join(crdDir, 'SOURCES.md'), 'utf8');
  const kinds: Record<string, KindEntry> = {};
  const schemas: Record<string, string> = {};
  const files = readdirSync(crdDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
      const crd = doc.toJS() as Json | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const spec = crd.spec as { group: string; scope: string; names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: Json } }[] };
      const served = spec.versions.filter((v) => v.served);
      kinds[kindKey(spec.group, spec.names.kind)] = { namespaced: spec.scope === 'Namespaced', versions: served.map((v) => v.name).sort() };
      for (const v of served) schemas[`${spec.group}/${v.name}/${spec.names.kind}`] = JSON.stringify(stripSchema(v.schema.openAPIV3Schema));
    }
  }
  const sorted = <T>(o: Record<string, T>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k] as T]));
  const provenance = sources
    .split('\n')
    .filter((l) => l.startsWith('| ') && l.includes('.yaml'))
    .map((l) => `//   ${l.replace(/\s*\|\s*/g, ' | ').trim()}`);
  return [
    '// GENERATED by scripts/generate-schemas.ts from the upstream CRDs (openAPIV3Schema, descriptions dropped).',
    '// Do not edit; run `npm run schemas`. Flux and Argo CD are Apache-2.0. Upstream files:',
    ...provenance,
    '',
    '/** Flux and Argo CD kinds by `group/Kind`: namespaced or not, and the versions served. */',
    `export const KINDS: Record<string, { namespaced: boolean; versions: string[] }> = ${JSON.stringify(sorted(kinds), null, 1)};`,
    '',
    '/** `apiVersion/Kind` → openAPIV3Schema as JSON text: parsed only when first used. */',
    `export const SCHEMAS: Record<string, string> = ${JSON.stringify(sorted(schemas), null, 1)};`,
    '',
  ].join('\n');
}

// Run as a script (not when a test imports it to check that the files are current).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(GENERATED, { recursive: true });
  writeFileSync(join(GENERATED, 'gitops.ts'), gitops());
  console.log(`wrote ${join(GENERATED, 'gitops.ts')}`);
  const kube = await withCluster(kubernetes);
  writeFileSync(join(GENERATED, 'kubernetes.ts'), kube);
  console.log(`wrote ${join(GENERATED, 'kubernetes.ts')} (${(kube.length / 1024).toFixed(0)} KiB)`);
}
