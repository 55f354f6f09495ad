// End-to-end controller latency on the local control plane and a local git http-backend server:
// - change → commit: a KureApplication is changed (server-side apply returns), until the commit is
//   in the bare repository; p50/p99 over 20 changes, with the default 500 ms settle window;
// - burst: 1,000 KureApplications applied at once (32 in parallel): commits made and seconds until
//   the last one;
// - steady state: after the burst, COOLDOWN_MS + IDLE_MS of nothing. CPU time (user + system) of this
//   process, which runs the controller in-process (the git server's Node side is idle and its git
//   processes are not counted), per second of wall time: over the cool-down (mostly GC of what the burst
//   allocated: the heap shrinks from ~120 to ~50 MB) and over the IDLE_MS after it (steady state); and the
//   commits and reconciles made during both (should be 0: resync is every 10 min, no leader election
//   here, so only watch bookmarks and re-connects remain).
// Uses $KURE_TEST_KUBECONFIG when set, else starts the local control plane (and stops it after).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createGitSink } from '../src/controller/git-sink.js';
import { startManager, type Manager } from '../src/controller/manager.js';
import { KUBECONFIG_ENV, startControlPlane, type ControlPlane } from '../test/support/control-plane.js';
import { gitCli, startGitServer } from '../test/support/git-server.js';
import { createTestNamespace, loadTestKubeConfig, serverSideApply } from '../test/support/kube.js';
import { installCrds } from '../test/integration/controller/harness.js';
import { branchHead, percentile } from './process.js';

const API = 'kure.dev/v1alpha1';
const CHANGES = 20;
const BURST = 1000;
const COOLDOWN_MS = 10_000;
const IDLE_MS = 20_000;

const obj = (kind: string, namespace: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: API, kind, metadata: { name, namespace }, spec });
const app = (namespace: string, name: string, v: string) =>
  obj('KureApplication', namespace, name, { bundleRef: { name: 'web' }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } }] });


async function idle(m: Manager, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let since = Date.now();
  while (Date.now() < deadline) {
    if (m.queue.depth() > 0 || m.queue.inFlight() > 0) since = Date.now();
    if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('controller did not go idle');
}

export async function benchControllerLatency(): Promise<Record<string, number>> {
  let cp: ControlPlane | undefined;
  if (!process.env[KUBECONFIG_ENV]) {
    cp = await startControlPlane();
    process.env[KUBECONFIG_ENV] = cp.kubeconfigPath;
  }
  const git = await startGitServer({ username: 'kure', password: 'bench-password' });
  let manager: Manager | undefined;
  try {
    await installCrds();
    const ns = await createTestNamespace('bench');
    const gitdir = git.createRepo('fleet');
    const head = () => branchHead(gitdir);
    const commits = () => Number(gitCli(['--git-dir', gitdir, 'rev-list', '--count', 'main']).trim());
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await serverSideApply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-auth', namespace: ns, labels: { 'kure.dev/credentials': 'true' } }, data: { username: b64('kure'), password: b64('bench-password') } } as never);
    for (const o of [
      obj('KureCluster', ns, 'prod', { gitops: { engine: 'flux' }, repository: { url: git.url('fleet'), path: 'clusters/prod', secretRef: { name: 'git-auth' } } }),
      obj('KureNode', ns, 'apps', { clusterRef: { name: 'prod' } }),
      obj('KureBundle', ns, 'web', { nodeRef: { name: 'apps' } }),
      app(ns, 'probe', '0'),
    ])
      await serverSideApply(o as never);

    manager = await startManager({
      kubeConfig: loadTestKubeConfig(),
      namespaces: [ns],
      metricsAddr: '0',
      leaderElect: false,
      logger: pino({ level: 'silent' }),
      sink: createGitSink(mkdtempSync(path.join(tmpdir(), 'kure-bench-git-')), pino({ level: 'silent' })),
    });
    await manager.waitForSync();
    const firstDeadline = Date.now() + 60_000;
    while (!head() && Date.now() < firstDeadline) await new Promise((r) => setTimeout(r, 20));
    await idle(manager, 1000, 60_000);

    // ---- change → commit
    const latencies: number[] = [];
    for (let i = 1; i <= CHANGES; i++) {
      const before = head();
      await serverSideApply(app(ns, 'probe', String(i)) as never);
      const t0 = performance.now();
      const deadline = Date.now() + 30_000;
      while (head() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      if (head() === before) throw new Error(`change ${i} was not committed within 30 s`);
      latencies.push((performance.now() - t0) / 1000);
      await idle(manager, 300, 30_000);
    }
    latencies.sort((a, b) => a - b);

    // ---- burst
    const commitsBefore = commits();
    const started = performance.now();
    let lastCommitAt = started;
    let lastHead = head();
    const watcher = setInterval(() => {
      const h = head();
      if (h !== lastHead) {
        lastHead = h;
        lastCommitAt = performance.now();
      }
    }, 5);
    const apps = Array.from({ length: BURST }, (_, i) => app(ns, `burst-${String(i).padStart(4, '0')}`, String(i)));
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < apps.length) await serverSideApply(apps[next++] as never);
      }),
    );
    const applySeconds = (performance.now() - started) / 1000;
    await idle(manager, 2000, 180_000);
    clearInterval(watcher);
    const burstCommits = commits() - commitsBefore;

    // ---- steady state: nothing happens for IDLE_MS
    const reconciles = async () => (await manager!.metrics.reconcileTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
    const idleCommitsBefore = commits();
    const idleReconcilesBefore = await reconciles();
    const cpuMsPerS = async (ms: number) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, ms));
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / 1000 / ((performance.now() - t0) / 1000);
    };
    const cooldownCpu = await cpuMsPerS(COOLDOWN_MS);
    const idleCpu = await cpuMsPerS(IDLE_MS);
    const idleCommits = commits() - idleCommitsBefore;
    const idleReconciles = (await reconciles()) - idleReconcilesBefore;
    if (idleCommits !== 0) console.error(`controller-latency: ${idleCommits} commit(s) while idle (expected 0)`);

    return {
      controller_change_to_commit_p50_s: percentile(latencies, 50),
      controller_change_to_commit_p99_s: percentile(latencies, 99),
      controller_change_to_commit_max_s: latencies.at(-1) ?? NaN,
      controller_burst_1000_apply_s: applySeconds,
      controller_burst_1000_commits: burstCommits,
      controller_burst_1000_total_s: (lastCommitAt - started) / 1000,
      controller_post_burst_cpu_ms_per_s: cooldownCpu,
      controller_idle_cpu_ms_per_s: idleCpu,
      controller_idle_commits: idleCommits,
      controller_idle_reconciles: idleReconciles,
    };
  } finally {
    await manager?.stop();
    await git.stop();
    if (cp) {
      await cp.stop();
      delete process.env[KUBECONFIG_ENV];
    }
  }
}

// `node --experimental-strip-types`-free direct run: node dist/bench/controller-latency.js
if (import.meta.url === `file://${process.argv[1]}`) {
  benchControllerLatency().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
