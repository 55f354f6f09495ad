import { jest } from '@jest/globals';
// The controller when things go wrong around it: two instances (one leader, one writer), the API
// server going away and coming back, watches closed by the server, and the real CLI process.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Manager } from '../../../src/controller/manager.js';
import { REPO_ROOT } from '../../support/control-plane.js';
import type { GitServer } from '../../support/git-server.js';
import { kubeRequest, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import {
  GIT_PASSWORD,
  apply,
  applyAll,
  commitCount,
  configMapApp,
  createGitSecret,
  installCrds,
  newNamespace,
  smallCluster,
  startGit,
  startTestManager,
  waitFor,
  waitReady,
} from './harness.js';

// jest's per-project testTimeout is not applied (it is a global option): set it here.
jest.setTimeout(120_000);

let git: GitServer;
const managers: Manager[] = [];

beforeAll(async () => {
  await installCrds();
  git = await startGit();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});
afterAll(async () => {
  await git?.stop();
});

/** A TCP proxy in front of the API server that can drop every connection and refuse new ones. */
async function apiProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const close = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  let current = server;
  return {
    port,
    async down() {
      await new Promise<void>((r) => {
        current.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    async up() {
      current = net.createServer(server.listeners('connection')[0] as (s: net.Socket) => void);
      await new Promise<void>((r) => current.listen(port, '127.0.0.1', r));
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => current.close(() => r()));
    },
  };
}

function kubeConfigVia(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfigPath());
  const cluster = kc.getCurrentCluster()!;
  const server = new URL(cluster.server);
  server.port = String(port);
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: server.toString().replace(/\/$/, '') } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return kc;
}

async function lease(namespace: string, name: string) {
  try {
    return (await kubeRequest<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`)).body;
  } catch {
    return undefined;
  }
}

describe('kure controller resilience', () => {
  it('two instances: one leader, one writer; the standby takes over when the leader stops', async () => {
    const ns = await newNamespace();
    git.createRepo('leader');
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('leader')), configMapApp(ns, 'a', 'web', { v: '1' })]);
    const election = { leaderElect: true, leaderElectionNamespace: ns, leaderElectionId: 'kure-test', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 };
    const a = await startTestManager([ns], { ...election, identity: 'instance-a' });
    managers.push(a);
    const b = await startTestManager([ns], { ...election, identity: 'instance-b' });
    managers.push(b);

    await waitFor('a leader', () => a.isLeader() || b.isLeader());
    await waitReady('KureCluster', ns, 'prod', { reason: 'Rendered' });
    await new Promise((r) => setTimeout(r, 1500));
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    expect((await lease(ns, 'kure-test'))?.spec.holderIdentity).toBe(leader.identity);
    expect(await standby.metrics.reconcileTotal.get().then((m) => m.values.reduce((s, v) => s + v.value, 0))).toBe(0);
    expect(commitCount(git, 'leader')).toBe(1);

    await leader.stop();
    managers.splice(managers.indexOf(leader), 1);
    await waitFor('the standby to lead', () => standby.isLeader(), 10_000);
    expect((await lease(ns, 'kure-test'))?.spec.holderIdentity).toBe(standby.identity);
    await apply(configMapApp(ns, 'a', 'web', { v: '2' }));
    await waitFor('the new leader to push', () => commitCount(git, 'leader') === 2, 20_000);
  });

  it('survives the API server going away and coming back, and watches closed by the server', async () => {
    const ns = await newNamespace();
    git.createRepo('apiserver');
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('apiserver')), configMapApp(ns, 'a', 'web', { v: '1' })]);
    const proxy = await apiProxy(new URL(loadTestKubeConfig().getCurrentCluster()!.server));
    try {
      const m = await startTestManager([ns], { kubeConfig: kubeConfigVia(proxy.port), informerUnhealthyAfterMs: 1000 });
      const readyz = async () => (await fetch(`http://${m.metricsAddress}/readyz`)).status;
      managers.push(m);
      await waitReady('KureCluster', ns, 'prod', { reason: 'Rendered' });
      expect(commitCount(git, 'apiserver')).toBe(1);

      await proxy.down();
      // Meanwhile a change lands in the API server (the test talks to it directly).
      await apply(configMapApp(ns, 'a', 'web', { v: '2' }));
      await new Promise((r) => setTimeout(r, 3000));
      expect(await readyz()).toBe(503); // informers failing for longer than 1 s
      await proxy.up();
      await waitFor('the change after reconnect', () => commitCount(git, 'apiserver') === 2, 45_000);
      const restarts = await m.metrics.informerRestarts.get();
      expect(restarts.values.some((v) => v.labels.reason === 'error' && v.value > 0)).toBe(true);

      // The server closes every watch (as on timeoutSeconds), one with a forced re-list.
      m.restartInformers(false);
      await apply(configMapApp(ns, 'a', 'web', { v: '3' }));
      await waitFor('the change after a re-watch', () => commitCount(git, 'apiserver') === 3, 20_000);
      m.restartInformers(true);
      await apply(configMapApp(ns, 'a', 'web', { v: '4' }));
      await waitFor('the change after a re-list', () => commitCount(git, 'apiserver') === 4, 20_000);
      await waitFor('ready again', () => m.ready(), 10_000);
      expect(await readyz()).toBe(200);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it('the real CLI: `kure controller --kubeconfig FILE` reconciles, serves health, exits 0 on SIGTERM and releases its lease', async () => {
    const ns = await newNamespace();
    git.createRepo('cli');
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('cli')), configMapApp(ns, 'a', 'web', { v: '1' })]);

    // Inside the repository so that ESM resolution finds node_modules (.cache is git-ignored).
    mkdirSync(path.join(REPO_ROOT, '.cache'), { recursive: true });
    const out = mkdtempSync(path.join(REPO_ROOT, '.cache', 'kure-cli-build-'));
    execFileSync(path.join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: REPO_ROOT, stdio: 'pipe' });
    writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'module' }));
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, [path.join(out, 'src/cli/main.js'), 'controller', '--kubeconfig', testKubeconfigPath()], {
      cwd: REPO_ROOT,
      // Only this test's namespace (other test files share the API server); metrics on a free port.
      env: { ...process.env, KURE_NAMESPACES: ns, KURE_METRICS_ADDR: `127.0.0.1:${port}`, KURE_SETTLE: '200ms'},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
      expect(commitCount(git, 'cli')).toBe(1);
      await waitFor('/readyz 200', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 20_000);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('kure_reconcile_total');
      expect((await lease('default', 'kure-controller-leader'))?.spec.holderIdentity).toBeTruthy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect((await lease('default', 'kure-controller-leader'))?.spec.holderIdentity).toBeFalsy();
    expect(logs).toContain('kure controller started');
    expect(logs).not.toContain(GIT_PASSWORD);
    expect(logs).not.toContain(Buffer.from(GIT_PASSWORD).toString('base64'));
  }, 120_000);
});
