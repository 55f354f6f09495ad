// The controller when things go wrong around it: the network to the API server cut (through a TCP
// proxy, so that a change can land while the controller cannot see it), watches closed by the server,
// and the real CLI process. A real API server restart is in restart.test.ts; two controller processes
// on one Lease in processes.test.ts.
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { Manager } from '../../../src/controller/manager.js';
import type { GitServer } from '../../support/git-server.js';
import { kubeRequest, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import {
  GIT_PASSWORD,
  apply,
  applyAll,
  buildCli,
  commitCount,
  configMapApp,
  createGitSecret,
  installCrds,
  newNamespace,
  removeCliBuild,
  smallCluster,
  spawnController,
  startGit,
  startTestManager,
  waitFor,
  waitReady,
} from './harness.js';

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
  await removeCliBuild(); // the CLI test waits for its process to exit
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
  it('survives the connection to the API server being cut (a change lands meanwhile), and watches closed by the server', async () => {
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

    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    // Configured through the environment this time (processes.test.ts uses flags); only this test's
    // namespace (other test files share the API server); the default Lease default/kure-controller-leader.
    const child = spawnController(await buildCli(), 'cli', ['--kubeconfig', testKubeconfigPath()], {
      KURE_NAMESPACES: ns,
      KURE_METRICS_ADDR: `127.0.0.1:${port}`,
      KURE_SETTLE: '200ms',
    });
    try {
      await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
      expect(commitCount(git, 'cli')).toBe(1);
      expect(await child.metricsAddress()).toBe(`127.0.0.1:${port}`);
      await waitFor('/readyz 200', async () => (await child.readyz()) === 200, 20_000);
      expect(await child.metric('kure_git_commits_total')).toBe(1);
      expect((await lease('default', 'kure-controller-leader'))?.spec.holderIdentity).toBeTruthy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
    expect((await lease('default', 'kure-controller-leader'))?.spec.holderIdentity).toBeFalsy();
    const logs = child.logs();
    expect(logs).toContain('kure controller started');
    expect(logs).not.toContain(GIT_PASSWORD);
    expect(logs).not.toContain(Buffer.from(GIT_PASSWORD).toString('base64'));
  }, 120_000);
});
