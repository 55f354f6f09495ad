// Real Argo CD for the end-to-end tests: the upstream application controller and repo-server
// (one binary built by scripts/build-argocd.sh from test/argocd/) and Redis (Debian's redis-server),
// run as processes against a test API server. ARGOCD_FAKE_IN_CLUSTER + KUBECONFIG make the in-cluster
// destination https://kubernetes.default.svc that API server.
import type { KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './control-plane.js';
import { applyCrdsFromDir, KubeApiError, kubeRequest, serverSideApply } from './kube.js';
import { freePort, startManagedProcess, type ManagedProcess } from './managed-process.js';

export const ARGOCD_BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'build-argocd.sh');
export const ARGOCD_CACHE_DIR = path.join(REPO_ROOT, '.cache', 'argocd');
/** The upstream Application and AppProject CRDs. */
export const ARGOCD_CRDS = path.resolve(REPO_ROOT, '../shared/reference/crds/argo-cd');
export const REFRESH = 'argocd.argoproj.io/refresh';

/**
 * The health check Argo CD lacks for Applications (from src/render/README.md): without it a child
 * Application counts as healthy as soon as it exists, and sync waves gate nothing.
 */
export const APPLICATION_HEALTH_LUA = `hs = {status = "Progressing", message = ""}
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then hs.message = obj.status.health.message end
  if hs.status == "Healthy" and not (obj.status.sync ~= nil and obj.status.sync.status == "Synced") then
    hs.status = "Progressing"
  end
end
return hs
`;

/** Runs scripts/build-argocd.sh (it rebuilds only when stale); resolves with its bin directory. */
export async function buildArgoCd(script = ARGOCD_BUILD_SCRIPT): Promise<string> {
  const child = spawn('bash', [script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`${script} failed with exit code ${code}`);
  return out.trim().split('\n').pop() ?? path.join(ARGOCD_CACHE_DIR, 'bin');
}

export interface ArgoCd {
  namespace: string;
  redis: ManagedProcess;
  repoServer: ManagedProcess;
  applicationController: ManagedProcess;
  logFile: string;
  /** Milliseconds from spawning Redis to the controller answering /healthz. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartArgoCdOptions {
  kubeconfigPath: string;
  kc: KubeConfig;
  /** Where Argo CD runs and Applications live (default argocd). */
  namespace?: string;
  /** Credentials for every repository whose URL starts with this prefix (an Argo CD repo-creds Secret). */
  repoCreds?: { url: string; username: string; password: string };
  /** Extra argocd-cm data. */
  config?: Record<string, string>;
  logFile?: string;
}

async function ok(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/**
 * Installs the Application and AppProject CRDs, the argocd namespace with argocd-cm (with the
 * Application health check), argocd-rbac-cm, argocd-cmd-params-cm, argocd-secret, the `default`
 * AppProject (Argo CD's API server would create it; it is not run) and the repository credentials;
 * starts Redis, the repo-server and the application controller; resolves once the controller
 * answers /healthz. On failure everything started is stopped.
 */
export async function startArgoCd(options: StartArgoCdOptions): Promise<ArgoCd> {
  const binDir = await buildArgoCd();
  const namespace = options.namespace ?? 'argocd';
  const { kc } = options;
  await applyCrdsFromDir(ARGOCD_CRDS, { kc });
  const part = { 'app.kubernetes.io/part-of': 'argocd' };
  await serverSideApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { kc });
  await serverSideApply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace, labels: part },
      data: { 'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH_LUA, ...options.config },
    },
    { kc },
  );
  for (const name of ['argocd-rbac-cm', 'argocd-cmd-params-cm']) await serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: part } }, { kc });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await serverSideApply(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace, labels: part }, type: 'Opaque', data: { 'server.secretkey': b64(Math.random().toString(36).slice(2)) } },
    { kc },
  );
  if (options.repoCreds) {
    const { url, username, password } = options.repoCreds;
    await serverSideApply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'repo-creds', namespace, labels: { 'argocd.argoproj.io/secret-type': 'repo-creds' } },
        type: 'Opaque',
        data: { type: b64('git'), url: b64(url), username: b64(username), password: b64(password) },
      },
      { kc },
    );
  }
  await serverSideApply(
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
    },
    { kc },
  );

  mkdirSync(ARGOCD_CACHE_DIR, { recursive: true });
  const logFile = options.logFile ?? path.join(ARGOCD_CACHE_DIR, 'argocd.log');
  writeFileSync(logFile, ''); // this run's logs only
  const work = mkdtempSync(path.join(tmpdir(), 'kure-argocd-'));
  const [redisPort, repoPort, repoMetrics, ctlMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = {
    PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    KUBECONFIG: options.kubeconfigPath,
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    ARGOCD_GPG_ENABLED: 'false',
    HOME: work,
    TMPDIR: work, // where the repo-server clones
    // Defaults are fixed paths (/tmp/reposerver-ask-pass.sock, /app/config/...): two runs on one machine would share them.
    ARGOCD_ASK_PASS_SOCK: path.join(work, 'askpass.sock'),
    ARGOCD_TLS_DATA_PATH: path.join(work, 'tls'),
    ARGOCD_SSH_DATA_PATH: path.join(work, 'ssh'),
    ARGOCD_GNUPGHOME: path.join(work, 'gpg'),
  };
  const started = performance.now();
  const redis = startManagedProcess({
    name: 'redis',
    command: 'redis-server',
    args: ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', work],
    logFile,
  });
  const procs: ManagedProcess[] = [redis];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await redis.waitForLine(/Ready to accept connections/, 30_000);
    const common = ['--loglevel', 'info', '--logformat', 'json', '--redis', `127.0.0.1:${redisPort}`];
    const repoServer = startManagedProcess({
      name: 'argocd-repo-server',
      command: path.join(binDir, 'argocd-repo-server'),
      args: [...common, '--address', '127.0.0.1', '--port', String(repoPort), '--metrics-address', '127.0.0.1', '--metrics-port', String(repoMetrics), '--disable-tls', '--client-ca-path='],
      env,
      logFile,
    });
    procs.push(repoServer);
    const applicationController = startManagedProcess({
      name: 'argocd-application-controller',
      command: path.join(binDir, 'argocd-application-controller'),
      args: [
        ...common,
        '--namespace',
        namespace,
        '--repo-server',
        `127.0.0.1:${repoPort}`,
        '--repo-server-plaintext',
        '--metrics-port',
        String(ctlMetrics),
        '--status-processors',
        '4',
        '--operation-processors',
        '2',
      ],
      env,
      logFile,
    });
    procs.push(applicationController);
    const deadline = Date.now() + 90_000;
    for (;;) {
      for (const p of procs) {
        const code = await Promise.race([p.exited, Promise.resolve(undefined)]);
        if (code !== undefined) throw new Error(`${p.name} exited with ${code}:\n${p.tail()}`);
      }
      if ((await ok(`http://127.0.0.1:${repoMetrics}/healthz`)) && (await ok(`http://127.0.0.1:${ctlMetrics}/healthz`))) break;
      if (Date.now() > deadline) throw new Error(`Argo CD not healthy after 90 s:\n${repoServer.tail(10)}\n${applicationController.tail(10)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { namespace, redis, repoServer, applicationController, logFile, startupMs: Math.round(performance.now() - started), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface Application {
  metadata: { name: string; namespace: string; generation?: number; creationTimestamp?: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string; startedAt?: string; finishedAt?: string; syncResult?: { revision?: string } };
    conditions?: { type: string; message?: string }[];
    resources?: { kind: string; name: string; namespace?: string; status?: string; health?: { status?: string } }[];
  };
}

export async function listApplications(kc: KubeConfig, namespace = 'argocd'): Promise<Application[]> {
  return (await kubeRequest<{ items: Application[] }>('GET', `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications`, undefined, { kc })).body.items;
}

export async function getApplication(kc: KubeConfig, name: string, namespace = 'argocd'): Promise<Application | undefined> {
  try {
    return (await kubeRequest<Application>('GET', `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications/${name}`, undefined, { kc })).body;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** Synced and Healthy (at `revision`, when given). */
export function syncedHealthy(app: Application | undefined, revision?: string): boolean {
  return app?.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' && (!revision || app.status.sync.revision === revision);
}

/** Asks Argo CD to compare with Git now (as its UI's Refresh and webhooks do): the refresh annotation. */
export async function requestRefresh(kc: KubeConfig, name: string, namespace = 'argocd', kind: 'normal' | 'hard' = 'normal'): Promise<void> {
  await kubeRequest('PATCH', `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications/${name}`, { metadata: { annotations: { [REFRESH]: kind } } }, {
    kc,
    contentType: 'application/merge-patch+json',
  });
}
