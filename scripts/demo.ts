// `npm run demo`: the whole loop on this machine, in one command.
//
//   1. builds the local API server if needed (scripts/build-control-plane.sh; Go, 10-20 min cold);
//   2. starts it and a Git server (git http-backend behind basic auth) on loopback;
//   3. installs Kure's CRDs, the example namespaces and their Git Secrets, and applies examples/platform
//      (its repository URL pointed at the local Git server);
//   4. runs `kure controller` (the CLI, as in production), waits for its commit and prints it and its tree;
//   5. edits one application and prints the second commit's diff, then `kubectl get kure -A`.
//
// Ctrl-C, an error or the end stops every process it started and removes its temp dir.
// `npm run demo -- --keep` leaves everything running at the end until Ctrl-C, and prints how to reach it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type * as ControlPlaneModule from '../test/support/control-plane.js';
import type * as GitServerModule from '../test/support/git-server.js';

// Loaded by URL so Node's type stripping runs the .ts files while tsc checks the types.
const { startControlPlane, BUILD_SCRIPT } = (await import(new URL('../test/support/control-plane.ts', import.meta.url).href)) as typeof ControlPlaneModule;
const { startGitServer } = (await import(new URL('../test/support/git-server.ts', import.meta.url).href)) as typeof GitServerModule;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEEP = process.argv.includes('--keep');
const GIT_USER = 'kure';
const GIT_PASSWORD = 'demo-password';
const started = Date.now();

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => process.stdout.write(`\n${bold(`==> ${s}`)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
const say = (s: string) => process.stdout.write(`${s}\n`);

// ---------------------------------------------------------------- cleanup, whatever happens
const cleanups: (() => Promise<unknown> | unknown)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`cleanup: ${(err as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping everything the demo started...\n`);
    void cleanup().then(() => process.exit(130));
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** scripts/build-control-plane.sh, with its messages and an elapsed-time line every 15 s while Go compiles. */
async function buildControlPlane(): Promise<void> {
  const t0 = Date.now();
  const child = spawn('bash', [BUILD_SCRIPT], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.setEncoding('utf8').on('data', (d: string) => process.stdout.write(d.replace(/^/gm, '    ').replace(/ {4}$/, '')));
  const ticker = setInterval(() => say(`    ... still compiling kube-apiserver: ${Math.round((Date.now() - t0) / 1000)} s elapsed (10-20 min cold, under a minute warm)`), 15_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(ticker);
  if (code !== 0) throw new Error(`${BUILD_SCRIPT} failed (exit ${code}); it needs Go >= 1.26 (see test/control-plane/README.md)`);
}

function git(gitdir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitdir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
}

/** `git ls-tree` as an indented tree. */
function printTree(gitdir: string, ref: string): void {
  const files = git(gitdir, 'ls-tree', '-r', '--name-only', ref).split('\n').filter(Boolean).sort();
  const seen = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 0; i < parts.length; i++) {
      const key = parts.slice(0, i + 1).join('/');
      if (seen.has(key)) continue;
      seen.add(key);
      say(`    ${'  '.repeat(i)}${parts[i]}${i < parts.length - 1 ? '/' : ''}`);
    }
  }
}

function readYaml(file: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => !!o?.kind);
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'kure-demo-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));

  step('Local Kubernetes API server (kube-apiserver + etcd, built from the Kubernetes Go modules)');
  await buildControlPlane();
  const cp = await startControlPlane({ build: false, logFile: path.join(work, 'control-plane.log') });
  cleanups.push(() => cp.stop());
  say(`    ${cp.server} ready in ${cp.startupMs} ms; KUBECONFIG=${cp.kubeconfigPath}`);

  step('Git server (git http-backend, basic auth) with an empty repository "fleet"');
  const gitServer = await startGitServer({ username: GIT_USER, password: GIT_PASSWORD, root: path.join(work, 'git') });
  cleanups.push(() => gitServer.stop());
  const gitdir = gitServer.createRepo('fleet');
  const repoUrl = gitServer.url('fleet');
  say(`    ${repoUrl}`);

  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const apply = (o: KubernetesObject) => api.patch(o, undefined, undefined, 'kure-demo', true, PatchStrategy.ServerSideApply);

  step('CRDs (crds/), namespaces and the Git Secrets');
  const crdFiles = readdirSync(path.join(ROOT, 'crds')).filter((f) => f.endsWith('.yaml')).sort();
  for (const f of crdFiles) await apply(readYaml(path.join(ROOT, 'crds', f))[0]!);
  await waitFor('the CRDs to be Established', async () => {
    for (const f of crdFiles) {
      const crd = (await api.read({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: f.replace(/^kure\.dev_(.+)\.yaml$/, '$1.kure.dev') } })) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
    }
    return true;
  });
  say(`    ${crdFiles.join(', ')}`);
  for (const ns of ['platform', 'platform-staging', 'team-a']) await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const ns of ['platform', 'platform-staging'])
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fleet-git', namespace: ns, labels: { 'kure.dev/credentials': 'true' } }, stringData: { username: GIT_USER, password: GIT_PASSWORD } } as KubernetesObject);
  say('    namespaces platform, platform-staging, team-a; Secret fleet-git (labelled kure.dev/credentials=true) in platform and platform-staging');

  step('kubectl apply -f examples/platform (repository.url pointed at the local Git server)');
  for (const f of readdirSync(path.join(ROOT, 'examples', 'platform')).filter((x) => x.endsWith('.yaml')).sort()) {
    const objs = readYaml(path.join(ROOT, 'examples', 'platform', f));
    for (const o of objs) {
      if (o.kind === 'KureCluster') (o as { spec: { repository: { url: string } } }).spec.repository.url = repoUrl;
      await apply(o);
    }
    say(`    ${f}: ${objs.map((o) => `${o.kind}/${o.metadata?.name}`).join(' ')}`);
  }

  step('kure controller (the CLI, with the admin kubeconfig of the local API server)');
  const metricsPort = await freePort();
  const logFile = path.join(work, 'controller.log');
  const log = createWriteStream(logFile);
  const controller: ChildProcess = spawn(
    process.execPath,
    [path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'controller', `--kubeconfig=${cp.kubeconfigPath}`, `--metrics-addr=127.0.0.1:${metricsPort}`, '--leader-election-namespace=default', `--git-cache-dir=${path.join(work, 'git-cache')}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  controller.stdout!.pipe(log);
  controller.stderr!.pipe(log);
  const controllerExit = new Promise<number | null>((resolve) => controller.on('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (controller.exitCode === null && controller.signalCode === null) {
      controller.kill('SIGTERM');
      await controllerExit;
    }
  });
  void controllerExit.then((code) => {
    if (!cleaning) process.stderr.write(`kure controller exited with code ${code}; its log: ${logFile}\n`);
  });
  say(`    pid ${controller.pid}; /metrics, /readyz on http://127.0.0.1:${metricsPort}; log ${logFile}`);

  const ready = async (ns: string, name: string) => {
    const c = (await api.read({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureCluster', metadata: { name, namespace: ns } })) as {
      status?: { conditions?: { type: string; status: string }[] };
    };
    return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
  };
  await waitFor('both clusters Ready (their trees pushed)', async () => (await ready('platform', 'production')) && (await ready('platform-staging', 'staging')));

  step('The commits Kure pushed (one per cluster, both into the same repository), and the tree');
  say(git(gitdir, 'log', '--format=    %h %s%n    Author: %an <%ae>, %ad', 'main').trimEnd());
  printTree(gitdir, 'main');

  step('Edit one application: frontend (production) gets image ghcr.io/acme/frontend:1.4.3');
  const before = git(gitdir, 'rev-parse', 'main').trim();
  await api.patch(
    { apiVersion: 'kure.dev/v1alpha1', kind: 'KureApplication', metadata: { name: 'frontend', namespace: 'platform' }, spec: { workload: { image: 'ghcr.io/acme/frontend:1.4.3' } } } as KubernetesObject,
    undefined,
    undefined,
    'kure-demo',
    undefined,
    PatchStrategy.MergePatch,
  );
  const t0 = Date.now();
  await waitFor('the second commit', () => git(gitdir, 'rev-parse', 'main').trim() !== before);
  say(`    committed ${((Date.now() - t0) / 1000).toFixed(1)} s after the change:`);
  say(git(gitdir, 'show', '--format=%h %s', '--stat=100', 'main').trimEnd().replace(/^/gm, '    '));
  say(git(gitdir, 'diff', before, 'main').trimEnd().replace(/^/gm, '    '));

  step('kubectl get kure -A');
  const kubectl = spawnSync('kubectl', ['get', 'kure', '-A'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: cp.kubeconfigPath } });
  if (kubectl.status === 0) say(kubectl.stdout.trimEnd());
  else {
    say('    (kubectl is not installed; the same from the API:)');
    for (const kind of ['KureCluster', 'KureNode', 'KureBundle', 'KureApplication']) {
      const list = (await api.list('kure.dev/v1alpha1', kind)) as {
        items: { metadata: { namespace: string; name: string }; status?: { conditions?: { type: string; status: string; reason: string }[] } }[];
      };
      for (const i of list.items) {
        const r = i.status?.conditions?.find((c) => c.type === 'Ready');
        say(`    ${i.metadata.namespace.padEnd(18)} ${`${kind.toLowerCase()}/${i.metadata.name}`.padEnd(44)} ${r?.status ?? ''} ${r?.reason ?? ''}`);
      }
    }
  }

  if (KEEP) {
    step('Everything keeps running; Ctrl-C stops it');
    say(`    export KUBECONFIG=${cp.kubeconfigPath}`);
    say(`    git clone ${gitServer.authUrl('fleet')} /tmp/fleet`);
    say(`    controller log: ${logFile}`);
    await new Promise(() => undefined);
  }
  step(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s; stopping the controller, the Git server and the API server`);
}

try {
  await main();
  await cleanup();
} catch (err) {
  process.stderr.write(`\ndemo failed: ${(err as Error).message}\n`);
  await cleanup();
  process.exit(1);
}
