// The controller when things go wrong around it: the network to the API server cut (through a TCP
// proxy, so that a change can land while the controller cannot see it), watches closed by the server,
// and the real CLI process. A real API server restart is in restart.test.ts; two controller processes
// on one Lease in processes.test.ts.
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { Manager } from '../../../src/controller/manager.js';
import type { GitServer } from '../../support/git-server.js';
import { startApiProxy } from '../../support/api-proxy.js';
import { kubeRequest, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import {
  GIT_PASSWORD,
  apply,
  applyAll,
  buildCli,
  changedFiles,
  commitCount,
  configMapApp,
  createGitSecret,
  installCrds,
  newNamespace,
  removeCliBuild,
  show,
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

/** The Lease, or undefined when it does not exist (404); any other failure throws. */
async function lease(namespace: string, name: string) {
  try {
    return (await kubeRequest<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`)).body;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

/** Informer reconnects of one resource for one reason, from the manager's own counter. */
async function restartsOf(m: Manager, resource: string, reason: string): Promise<number> {
  const { values } = await m.metrics.informerRestarts.get();
  return values.filter((v) => v.labels.resource === resource && v.labels.reason === reason).reduce((a, v) => a + v.value, 0);
}

describe('kure controller resilience', () => {
  it('survives the connection to the API server being cut (a change lands meanwhile)', async () => {
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
      await waitFor('/readyz 503 (informers failing for longer than 1 s)', async () => (await readyz()) === 503, 20_000);
      expect(commitCount(git, 'apiserver')).toBe(1); // it cannot have seen the change
      await proxy.up();
      await waitFor('the change after reconnect', () => commitCount(git, 'apiserver') === 2, 45_000);
      expect(await restartsOf(m, 'KureApplication', 'error')).toBeGreaterThan(0);
      await waitFor('ready again', () => m.ready(), 20_000);
      expect(await readyz()).toBe(200);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it('watches closed by the API server itself (timeoutSeconds): re-watched each time, no change missed', async () => {
    const ns = await newNamespace();
    git.createRepo('server-close');
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('server-close')), configMapApp(ns, 'a', 'web', { v: '0' })]);
    // Every watch asks the server to end it after 2-2.5 s: the API server closes the stream itself
    // (no client-side restart: those are counted as "manual", these as "closed").
    const m = await startTestManager([ns], { watchTimeoutSeconds: 2 });
    managers.push(m);
    await waitReady('KureCluster', ns, 'prod', { reason: 'Rendered' });
    expect(commitCount(git, 'server-close')).toBe(1);
    for (let v = 1; v <= 3; v++) {
      const closed = await restartsOf(m, 'KureApplication', 'closed');
      await waitFor(`the API server to close the KureApplication watch (round ${v})`, async () => (await restartsOf(m, 'KureApplication', 'closed')) > closed, 15_000, 50);
      await apply(configMapApp(ns, 'a', 'web', { v: String(v) }));
      await waitFor(`the change v=${v} committed`, () => commitCount(git, 'server-close') === 1 + v, 20_000);
    }
    expect(await restartsOf(m, 'KureApplication', 'manual')).toBe(0);
    expect(await restartsOf(m, 'KureApplication', 'error')).toBe(0);
    expect(commitCount(git, 'server-close')).toBe(4);
  }, 120_000);

  it.each(['event', 'status'] as const)(
    'a watch answered 410 Gone (resourceVersion compacted, as a 410 %s): re-lists, and the change only the list can show is committed',
    async (form) => {
      const ns = await newNamespace();
      const repo = `gone-${form}`;
      git.createRepo(repo);
      await createGitSecret(ns);
      await applyAll([...smallCluster(ns, git.url(repo)), configMapApp(ns, 'a', 'web', { v: '1' })]);
      const proxy = await startApiProxy(loadTestKubeConfig());
      try {
        const m = await startTestManager([ns], { kubeConfig: proxy.kubeConfig() });
        managers.push(m);
        await waitReady('KureCluster', ns, 'prod', { reason: 'Rendered' });
        expect(commitCount(git, repo)).toBe(1);

        // "Compact" at the current revision: the open watch is cut, and every watch resuming from
        // a revision at or below it gets 410; the re-list it must then make is held back.
        const path = `/namespaces/${ns}/kureapplications`;
        const rv = Number((await kubeRequest<{ metadata: { resourceVersion: string } }>('GET', `/apis/kure.dev/v1alpha1${path}`)).body.metadata.resourceVersion);
        proxy.compact(path, rv, form);
        await waitFor('the informer to re-list after the 410', () => proxy.heldLists > 0, 30_000, 50);
        expect(proxy.goneAnswers).toBeGreaterThan(0);
        // The change lands while the list is held: no watch from the old revision can deliver it
        // (they all get 410), so only the re-list shows it.
        await apply(configMapApp(ns, 'a', 'web', { v: '2' }));
        expect(commitCount(git, repo)).toBe(1);
        proxy.releaseLists();
        await waitFor('the change seen by the re-list committed', () => commitCount(git, repo) === 2, 30_000);
        expect(show(git, repo, changedFiles(git, repo).find((f) => f.includes('/web/'))!)).toContain('v: "2"');
        expect(await restartsOf(m, 'KureApplication', 'gone')).toBeGreaterThan(0);
        expect(proxy.listsAfterCompact).toBeGreaterThan(0);
        // And the watch from the list's revision carries the next change as usual.
        await apply(configMapApp(ns, 'a', 'web', { v: '3' }));
        await waitFor('the next change by the new watch', () => commitCount(git, repo) === 3, 30_000);
        await waitReady('KureApplication', ns, 'a', { status: 'True', reason: 'Rendered' });
      } finally {
        await Promise.all(managers.splice(0).map((mm) => mm.stop()));
        await proxy.stop();
      }
    },
    120_000,
  );

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
