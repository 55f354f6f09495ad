// Shared by the end-to-end tests (real Flux, real Argo CD): a control plane of the file's own,
// Kure resources applied to it, the bundle objects Kure committed, and small measurements.
import type { KubeConfig } from '@kubernetes/client-node';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { KureResource } from '../../../src/api/schema.js';
import { CACHE_DIR, startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import { gitCli, gitCliAsync, type GitServer } from '../../support/git-server.js';
import { KubeApiError, kubeRequest, objectPath, serverSideApply, type KubeObject } from '../../support/kube.js';
import { API, GIT_PASSWORD, GIT_USER } from '../controller/harness.js';

export { API, GIT_PASSWORD, GIT_USER };

const PLURAL: Record<string, string> = {
  KureCluster: 'kureclusters',
  KureNode: 'kurenodes',
  KureBundle: 'kurebundles',
  KureApplication: 'kureapplications',
};

/**
 * A control plane of this test file's own: Flux and Argo CD own cluster-wide things (Namespaces the
 * examples create, CRDs, their controllers watch every namespace), which must not meet other files'.
 */
export async function startOwnControlPlane(name: string): Promise<ControlPlane> {
  return startControlPlane({ logFile: path.join(CACHE_DIR, `e2e-${name}-control-plane.log`) });
}

/** Server-side apply on `kc`'s cluster, without status and server-set metadata. */
export async function applyOn(kc: KubeConfig, obj: KureResource | KubeObject): Promise<void> {
  const clean = structuredClone(obj) as KubeObject & { metadata: Record<string, unknown>; status?: unknown };
  delete clean.status;
  for (const k of ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields']) delete clean.metadata[k];
  await serverSideApply(clean, { kc });
}

export async function deleteKureOn(kc: KubeConfig, kind: string, namespace: string, name: string): Promise<void> {
  await kubeRequest('DELETE', `/apis/${API}/namespaces/${namespace}/${PLURAL[kind]}/${name}`, undefined, { kc });
}

export async function getKureOn(kc: KubeConfig, kind: string, namespace: string, name: string): Promise<KureResource> {
  return (await kubeRequest<KureResource>('GET', `/apis/${API}/namespaces/${namespace}/${PLURAL[kind]}/${name}`, undefined, { kc })).body;
}

export async function createNamespaces(kc: KubeConfig, names: string[]): Promise<void> {
  for (const name of names) await serverSideApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { kc });
}

export async function createSecret(kc: KubeConfig, namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): Promise<void> {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  await serverSideApply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, ...(labels ? { labels } : {}) }, type: 'Opaque', data: encoded }, { kc });
}

/** GET an object (namespace as given); undefined on 404. */
export async function getObject<T extends KubeObject = KubeObject>(kc: KubeConfig, obj: KubeObject): Promise<T | undefined> {
  try {
    return (await kubeRequest<T>('GET', await objectPath(obj, kc), undefined, { kc })).body;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** Whether the server serves the object's kind as a namespaced resource. */
export async function isNamespaced(kc: KubeConfig, obj: KubeObject): Promise<boolean> {
  return (await objectPath({ ...obj, metadata: { name: 'x', namespace: '__probe__' } }, kc)).includes('/namespaces/__probe__/');
}

export function headOf(git: GitServer, repo: string, branch = 'main'): string | undefined {
  try {
    return gitCli(['--git-dir', git.gitdir(repo), 'rev-parse', '--verify', '-q', `refs/heads/${branch}`]).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Polls the bare repository (asynchronously: the Git server runs in this process) until its branch moves off `previous`. */
export async function waitForPush(git: GitServer, repo: string, previous: string | undefined, timeoutMs = 60_000, branch = 'main'): Promise<{ sha: string; at: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sha = (await gitCliAsync(['--git-dir', git.gitdir(repo), 'rev-parse', '--verify', '-q', `refs/heads/${branch}`]).catch(() => '')).trim();
    if (sha && sha !== previous) return { sha, at: performance.now() };
    if (Date.now() > deadline) throw new Error(`no push to ${repo} ${branch} after ${timeoutMs} ms (still ${previous})`);
    await sleep(20);
  }
}

/** A file of a commit in a bare repository. */
export function showFile(git: GitServer, repo: string, sha: string, file: string): string {
  return gitCli(['--git-dir', git.gitdir(repo), 'show', `${sha}:${file}`]);
}

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && typeof o === 'object' && 'kind' in o);
}

/**
 * The objects a kustomize directory of a commit holds: the files its kustomization.yaml lists (Kure's
 * bundle directories list plain files), or every YAML file when it has none (as Flux generates one).
 */
export function directoryObjects(git: GitServer, repo: string, sha: string, dir: string): KubeObject[] {
  const clean = dir.replace(/^\.\//, '').replace(/\/$/, '');
  const files = gitCli(['--git-dir', git.gitdir(repo), 'ls-tree', '--name-only', `${sha}:${clean}`]).split('\n').filter(Boolean);
  const kustomization = files.find((f) => f === 'kustomization.yaml');
  const listed = kustomization ? ((parseYaml(showFile(git, repo, sha, `${clean}/${kustomization}`)) as { resources?: string[] }).resources ?? []) : files.filter((f) => /\.ya?ml$/.test(f));
  return listed.flatMap((f) => parseObjects(showFile(git, repo, sha, `${clean}/${f}`)));
}

/** Marks a Deployment available, as the kube-controller-manager and kubelets would (the test control plane has neither). */
export async function setDeploymentAvailable(kc: KubeConfig, namespace: string, name: string): Promise<boolean> {
  const p = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
  let d: { metadata: { generation: number }; spec: { replicas?: number }; status?: { observedGeneration?: number; availableReplicas?: number } };
  try {
    d = (await kubeRequest<typeof d>('GET', p, undefined, { kc })).body;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return false;
    throw err;
  }
  const replicas = d.spec.replicas ?? 1;
  if (d.status?.observedGeneration === d.metadata.generation && d.status.availableReplicas === replicas) return true;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = {
    observedGeneration: d.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'set by the test', lastUpdateTime: now, lastTransitionTime: now },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'set by the test', lastUpdateTime: now, lastTransitionTime: now },
    ],
  };
  await kubeRequest('PATCH', `${p}/status`, { status }, { kc, contentType: 'application/merge-patch+json' });
  return true;
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000, everyMs = 100, onTimeout?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}${onTimeout ? `\n${onTimeout()}` : ''}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile of a sample (ms). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function kure(kind: string, namespace: string, name: string, spec: Record<string, unknown>): KureResource {
  return { apiVersion: API, kind, metadata: { name, namespace }, spec } as KureResource;
}
