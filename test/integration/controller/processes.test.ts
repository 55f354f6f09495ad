import { jest } from '@jest/globals';
// Two real `kure controller` processes (the compiled CLI) on the same Lease, against the shared API
// server and a git http-backend server: exactly one leads and pushes; SIGTERM makes the leader exit 0
// and release the Lease, and the other one takes over and pushes the next change; a leader killed
// with SIGKILL (no release) is replaced by a third process once the Lease has expired.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GitServer } from '../../support/git-server.js';
import { kubeRequest, testKubeconfigPath } from '../../support/kube.js';
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
  show,
  changedFiles,
  smallCluster,
  spawnController,
  startGit,
  waitFor,
  waitReady,
  type ControllerProcess,
} from './harness.js';

jest.setTimeout(180_000);

let git: GitServer;
let main: string;
const procs: ControllerProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  [main] = await Promise.all([buildCli(), installCrds()]);
  git = await startGit();
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await removeCliBuild();
  await git?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number; renewTime?: string };
}
async function lease(namespace: string, name: string): Promise<Lease | undefined> {
  try {
    return (await kubeRequest<Lease>('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`)).body;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}


describe('two kure controller processes', () => {
  it('one leader, one writer; on SIGTERM the leader exits 0 and releases the Lease, and the other takes over and pushes', async () => {
    const ns = await newNamespace('kp');
    git.createRepo('procs');
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('procs')), configMapApp(ns, 'a', 'web', { v: '1' })]);
    const leaseId = `kure-procs-${Math.random().toString(36).slice(2, 8)}`;

    const start = (identity: string) => {
      const cacheDir = mkdtempSync(path.join(tmpdir(), `kure-proc-git-${identity}-`)); // separate pods, separate caches
      dirs.push(cacheDir);
      const p = spawnController(main, identity, [
        '--kubeconfig', testKubeconfigPath(),
        '--namespaces', ns, // only this test's namespace: other test files share the API server
        '--metrics-addr', '127.0.0.1:0',
        '--leader-elect',
        '--leader-election-namespace', ns,
        '--leader-election-id', leaseId,
        '--identity', identity,
        '--git-cache-dir', cacheDir,
        '--settle', '200ms',
        '--shutdown-grace-period', '10s',
      ]);
      procs.push(p);
      return p;
    };
    const a = start('proc-a');
    const b = start('proc-b');
    await Promise.all([a.metricsAddress(), b.metricsAddress()]);

    // ---- one leader, one writer
    const holder = await waitFor('a holder of the Lease', async () => (await lease(ns, leaseId))?.spec.holderIdentity, 30_000);
    expect(['proc-a', 'proc-b']).toContain(holder);
    const [leader, standby] = holder === 'proc-a' ? [a, b] : [b, a];
    await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
    await waitFor('both ready', async () => (await a.readyz()) === 200 && (await b.readyz()) === 200, 20_000);
    // Two renewals by the leader (a retry period is 2 s) with both campaigning: still one leader, one
    // commit. Polled on the Lease itself rather than slept: renewTime moves each time the leader renews.
    const renewals: string[] = [];
    await waitFor(
      'the leader to renew the Lease twice',
      async () => {
        const l = await lease(ns, leaseId);
        expect(l?.spec.holderIdentity).toBe(leader.name);
        const t = l?.spec.renewTime;
        if (t && renewals.at(-1) !== t) renewals.push(t);
        return renewals.length >= 3;
      },
      20_000,
      200,
    );
    expect((await lease(ns, leaseId))?.spec.holderIdentity).toBe(leader.name);
    expect(await leader.metric('kure_leader')).toBe(1);
    expect(await standby.metric('kure_leader')).toBe(0);
    expect(await leader.metric('kure_git_commits_total')).toBe(1);
    expect(await standby.metric('kure_git_commits_total')).toBe(0);
    expect(await standby.metric('kure_reconcile_total')).toBe(0);
    expect(commitCount(git, 'procs')).toBe(1);
    expect(leader.records().filter((r) => r.msg === 'became leader')).toHaveLength(1);
    expect(standby.records().filter((r) => r.msg === 'became leader')).toHaveLength(0);
    const transitionsBefore = (await lease(ns, leaseId))?.spec.leaseTransitions ?? 0;

    // ---- SIGTERM the leader: exit 0, Lease released, the standby takes over
    const stoppedAt = Date.now();
    leader.kill('SIGTERM');
    expect(await leader.exited).toBe(0);
    const exitMs = Date.now() - stoppedAt;
    expect(leader.records().some((r) => r.msg === 'released the leader lease')).toBe(true);
    await waitFor('the standby to hold the Lease', async () => (await lease(ns, leaseId))?.spec.holderIdentity === standby.name, 15_000);
    const takeoverMs = Date.now() - stoppedAt;
    expect((await lease(ns, leaseId))?.spec.leaseTransitions).toBe(transitionsBefore + 1);
    await waitFor('the standby to report leadership', async () => (await standby.metric('kure_leader')) === 1, 10_000);

    // ---- the new leader pushes the next change (and nothing else: it re-rendered the same tree)
    await apply(configMapApp(ns, 'a', 'web', { v: '2' }));
    await waitFor('the new leader to push the change', () => commitCount(git, 'procs') === 2, 30_000);
    await waitReady('KureApplication', ns, 'a', { status: 'True', reason: 'Rendered' }, 30_000);
    const changed = changedFiles(git, 'procs');
    expect(changed.some((f) => /v: "?'?2/.test(show(git, 'procs', f)))).toBe(true);
    // The push is visible in the bare repository before the pusher has counted it.
    await waitFor('the new leader to count its commit', async () => (await standby.metric('kure_git_commits_total')) === 1, 10_000);
    expect(commitCount(git, 'procs')).toBe(2); // a duplicate would also show in the final count of 3 below

    // ---- a leader that crashes (SIGKILL: no release) is replaced once its Lease expires (15 s)
    const c = start('proc-c');
    await waitFor('proc-c ready', async () => (await c.readyz()) === 200, 30_000);
    expect(await c.metric('kure_leader')).toBe(0);
    const crashedAt = Date.now();
    standby.kill('SIGKILL');
    await standby.exited;
    await waitFor('proc-c to hold the expired Lease', async () => (await lease(ns, leaseId))?.spec.holderIdentity === c.name, 30_000);
    const crashTakeoverMs = Date.now() - crashedAt;
    expect(crashTakeoverMs).toBeGreaterThanOrEqual(12_000); // not before the 15 s lease ran out (counted from its last renewal, ≤ 2 s before the kill, as C saw it)
    await apply(configMapApp(ns, 'a', 'web', { v: '3' }));
    await waitFor('proc-c to push the change', () => commitCount(git, 'procs') === 3, 30_000);
    await waitFor('proc-c to count its commit', async () => (await c.metric('kure_git_commits_total')) === 1, 10_000);

    // ---- the last one stops cleanly too and leaves the Lease free
    c.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect((await lease(ns, leaseId))?.spec.holderIdentity).toBeFalsy();
    expect(commitCount(git, 'procs')).toBe(3);
    for (const p of [a, b, c]) {
      expect(p.logs()).toContain('kure controller started');
      expect(p.logs()).not.toContain(GIT_PASSWORD);
    }
    process.stderr.write(
      `processes: leader exited ${exitMs} ms after SIGTERM; standby held the Lease ${takeoverMs} ms after SIGTERM; ` +
        `after a SIGKILL of the leader, the third held it ${crashTakeoverMs} ms later\n`,
    );
  });
});
