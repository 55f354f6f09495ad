// Real Flux for the end-to-end tests: the upstream source-controller and kustomize-controller
// (built by scripts/build-flux.sh from test/flux/), run as processes against a test API server.
// They have no --kubeconfig flag: KUBECONFIG in their environment points them at the cluster.
import type { KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './control-plane.js';
import { applyCrdsFromDir, KubeApiError, kubeRequest, serverSideApply } from './kube.js';
import { freePort, startManagedProcess, type ManagedProcess } from './managed-process.js';

export const FLUX_BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'build-flux.sh');
export const FLUX_CACHE_DIR = path.join(REPO_ROOT, '.cache', 'flux');
/** The upstream CRDs (Kustomization, GitRepository, OCIRepository, Bucket, HelmRepository, HelmChart, HelmRelease). */
export const FLUX_CRDS = path.resolve(REPO_ROOT, '../shared/reference/crds/flux');
export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

/** Runs scripts/build-flux.sh (it rebuilds only what is stale; its progress goes to stderr). */
export async function buildFlux(script = FLUX_BUILD_SCRIPT): Promise<string> {
  const child = spawn('bash', [script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`${script} failed with exit code ${code}`);
  return out.trim().split('\n').pop() ?? FLUX_CACHE_DIR;
}

export interface Flux {
  namespace: string;
  sourceController: ManagedProcess;
  kustomizeController: ManagedProcess;
  /** Where both controllers' logs are appended. */
  logFile: string;
  /** Milliseconds from spawning to both controllers answering /readyz. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartFluxOptions {
  kubeconfigPath: string;
  kc: KubeConfig;
  /** Where Flux runs and its objects live (default flux-system, created if missing). */
  namespace?: string;
  logFile?: string;
  /**
   * kustomize-controller's --requeue-dependency (default 2s here; upstream 30s): how soon a
   * Kustomization whose dependency was not ready looks again.
   */
  requeueDependency?: string;
  /** CA bundle the controllers trust instead of the system's (SSL_CERT_FILE), e.g. a local Helm repository's certificate. */
  caFile?: string;
}

async function readyz(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
  } catch {
    return false;
  }
}

/**
 * Installs the upstream Flux CRDs, creates the namespace, starts source-controller and
 * kustomize-controller and resolves once both answer /readyz. On failure both are stopped.
 */
export async function startFlux(options: StartFluxOptions): Promise<Flux> {
  const dir = await buildFlux();
  const namespace = options.namespace ?? 'flux-system';
  const { kc } = options;
  await applyCrdsFromDir(FLUX_CRDS, { kc });
  await serverSideApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { kc });
  mkdirSync(FLUX_CACHE_DIR, { recursive: true });
  const logFile = options.logFile ?? path.join(FLUX_CACHE_DIR, 'flux.log');
  writeFileSync(logFile, ''); // this run's logs only
  const storage = mkdtempSync(path.join(tmpdir(), 'kure-flux-storage-'));
  const [storagePort, scHealth, kcHealth] = [await freePort(), await freePort(), await freePort()];
  const env = { KUBECONFIG: options.kubeconfigPath, RUNTIME_NAMESPACE: namespace, ...(options.caFile ? { SSL_CERT_FILE: options.caFile } : {}) };
  const common = ['--enable-leader-election=false', '--events-addr=', '--metrics-addr=127.0.0.1:0', '--log-encoding=json', '--log-level=info'];
  const started = performance.now();
  const bin = (name: string) => {
    const p = path.join(dir, name);
    if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/build-flux.sh`);
    return p;
  };
  const sourceController = startManagedProcess({
    name: 'source-controller',
    command: bin('source-controller'),
    args: [
      ...common,
      `--health-addr=127.0.0.1:${scHealth}`,
      `--storage-path=${storage}`,
      `--storage-addr=127.0.0.1:${storagePort}`,
      `--storage-adv-addr=127.0.0.1:${storagePort}`,
    ],
    env,
    logFile,
  });
  const kustomizeController = startManagedProcess({
    name: 'kustomize-controller',
    command: bin('kustomize-controller'),
    args: [...common, `--health-addr=127.0.0.1:${kcHealth}`, `--requeue-dependency=${options.requeueDependency ?? '2s'}`],
    env,
    logFile,
  });
  const stop = async () => {
    await Promise.all([sourceController.stop(), kustomizeController.stop()]);
    rmSync(storage, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      for (const p of [sourceController, kustomizeController]) {
        const code = await Promise.race([p.exited, Promise.resolve(undefined)]);
        if (code !== undefined) throw new Error(`${p.name} exited with ${code}:\n${p.tail()}`);
      }
      if ((await readyz(scHealth)) && (await readyz(kcHealth))) break;
      if (Date.now() > deadline) throw new Error(`Flux not ready after 60 s:\n${sourceController.tail(10)}\n${kustomizeController.tail(10)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { namespace, sourceController, kustomizeController, logFile, startupMs: Math.round(performance.now() - started), stop };
}

export interface FluxCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface FluxObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation?: number; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: FluxCondition[];
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    artifact?: { revision?: string };
    inventory?: { entries?: { id: string; v: string }[] };
  };
}

const FLUX_PATHS: Record<string, string> = {
  Kustomization: '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/NS/kustomizations',
  GitRepository: '/apis/source.toolkit.fluxcd.io/v1/namespaces/NS/gitrepositories',
  OCIRepository: '/apis/source.toolkit.fluxcd.io/v1/namespaces/NS/ocirepositories',
  HelmRepository: '/apis/source.toolkit.fluxcd.io/v1/namespaces/NS/helmrepositories',
  HelmRelease: '/apis/helm.toolkit.fluxcd.io/v2/namespaces/NS/helmreleases',
};

function fluxPath(kind: string, namespace: string, name?: string): string {
  const base = FLUX_PATHS[kind];
  if (!base) throw new Error(`unknown Flux kind ${kind}`);
  return base.replace('/NS/', `/${namespace}/`) + (name ? `/${name}` : '');
}

export async function listFlux(kc: KubeConfig, kind: string, namespace: string): Promise<FluxObject[]> {
  return (await kubeRequest<{ items: FluxObject[] }>('GET', fluxPath(kind, namespace), undefined, { kc })).body.items;
}

export async function getFlux(kc: KubeConfig, kind: string, namespace: string, name: string): Promise<FluxObject | undefined> {
  try {
    return (await kubeRequest<FluxObject>('GET', fluxPath(kind, namespace, name), undefined, { kc })).body;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** The Ready condition, only when it is about the current generation. */
export function fluxReady(obj: FluxObject | undefined): FluxCondition | undefined {
  if (!obj || obj.status?.observedGeneration !== obj.metadata.generation) return undefined;
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}

/**
 * Asks Flux to reconcile now, as `flux reconcile` and Flux's webhook receiver do: sets the
 * reconcile.fluxcd.io/requestedAt annotation to a new value.
 */
export async function requestReconcile(kc: KubeConfig, kind: string, namespace: string, name: string, at = new Date().toISOString()): Promise<void> {
  await kubeRequest('PATCH', fluxPath(kind, namespace, name), { metadata: { annotations: { [REQUESTED_AT]: at } } }, { kc, contentType: 'application/merge-patch+json' });
}

export interface HelmRepositoryServer {
  /** https://127.0.0.1:<port> (what HelmRepository.spec.url points at; Kure accepts only https or oci). */
  url: string;
  /** The server's self-signed certificate: give it to source-controller (startFlux caFile). */
  caFile: string;
  /** Index requests served (source-controller fetches index.yaml). */
  readonly requests: number;
  stop(): Promise<void>;
}

/**
 * A local HTTPS Helm chart repository that serves only `index.yaml`, listing the given charts: enough
 * for source-controller to make a HelmRepository Ready without the internet (the chart archives are
 * fetched by helm-controller, which these tests do not run). Its certificate is made with openssl.
 */
export async function startHelmRepository(charts: { name: string; version: string }[]): Promise<HelmRepositoryServer> {
  const https = await import('node:https');
  const { execFileSync } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(tmpdir(), 'kure-helm-repo-'));
  const [keyFile, caFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile], { stdio: 'ignore' });
  const created = '2026-01-01T00:00:00Z';
  const entries = charts
    .map((c) => `  ${c.name}:\n    - apiVersion: v2\n      name: ${c.name}\n      version: ${c.version}\n      created: "${created}"\n      urls: [charts/${c.name}-${c.version}.tgz]\n`)
    .join('');
  const index = `apiVersion: v1\nentries:\n${entries}generated: "${created}"\n`;
  let requests = 0;
  const server = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    requests++;
    if (req.url?.split('?')[0] === '/index.yaml') res.writeHead(200, { 'Content-Type': 'application/x-yaml' }).end(index);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile,
    get requests() {
      return requests;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
