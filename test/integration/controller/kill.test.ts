import { jest } from '@jest/globals';
// The real `kure controller` process SIGKILLed at the two worst moments of a sync, from outside:
// its pushes go through the faulty proxy (faulty-proxy.ts), which holds
// - the push request (the commit exists in the controller's cache only, the server never sees it), or
// - the answer of a push the server has applied (the commit is on the branch; the status not written),
// and the process is SIGKILLed while it waits. A new process on the same cache directory must
// converge: the change on the branch exactly once (no lost change, no duplicate commit), every
// object Ready at its generation, and the cluster's status naming the commit on the branch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFaultyProxy, type FaultyProxy } from '../../support/faulty-proxy.js';
import { gitCli, type GitServer } from '../../support/git-server.js';
import { testKubeconfigPath } from '../../support/kube.js';
import {
  applyAll,
  buildCli,
  commitCount,
  configMapApp,
  createGitSecret,
  getKure,
  head,
  installCrds,
  newNamespace,
  removeCliBuild,
  show,
  smallCluster,
  spawnController,
  startGit,
  waitFor,
  waitReady,
  type ControllerProcess,
} from './harness.js';

jest.setTimeout(240_000);

let git: GitServer;
let proxy: FaultyProxy;
let main: string;
const procs: ControllerProcess[] = [];
let lastRun: { ns: string; repo: string; cacheDir: string } | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  [main] = await Promise.all([buildCli(), installCrds()]);
  git = await startGit();
  proxy = await startFaultyProxy(new URL(git.url('x')).origin);
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await removeCliBuild();
  await proxy?.stop();
  await git?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const start = (ns: string, cacheDir: string, name: string) => {
  const p = spawnController(main, name, [
    '--kubeconfig', testKubeconfigPath(),
    '--namespaces', ns,
    '--metrics-addr', '127.0.0.1:0',
    '--git-cache-dir', cacheDir,
    '--settle', '200ms',
  ]);
  procs.push(p);
  return p;
};

describe.each([
  ['between commit and push', 'hold-push-request', 0],
  ['between push and status write', 'hold-push-answer', 1],
] as const)('the controller SIGKILLed %s', (_when, fault, appliedByServer) => {
  it('a new process converges: the change exactly once, everything Ready, the status names the commit', async () => {
    const ns = await newNamespace('kk');
    const repo = `kill-${fault}`;
    git.createRepo(repo, { files: { 'README.md': 'fleet\n' } });
    await createGitSecret(ns);
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'kure-kill-cache-'));
    dirs.push(cacheDir);
    const url = git.url(repo).replace(new URL(git.url(repo)).origin, proxy.base);

    const first = start(ns, cacheDir, 'first');
    proxy.set({ kind: fault });
    const held = proxy.held();
    const forwardedBefore = proxy.pushesForwarded;
    await applyAll([...smallCluster(ns, url), configMapApp(ns, 'a', 'web', { v: '1' })]);
    await held;
    // The push is held: the server has it (hold-push-answer) or not (hold-push-request).
    await waitFor('the server to have applied the push', () => commitCount(git, repo) === 1 + appliedByServer, 10_000);
    first.kill('SIGKILL');
    expect(await first.exited).toBe(128 + 9);
    expect(proxy.pushesForwarded - forwardedBefore).toBe(appliedByServer);
    expect(commitCount(git, repo)).toBe(1 + appliedByServer);
    const obj = (await getKure('KureCluster', ns, 'prod')) as { status?: { lastCommit?: { sha: string } } } | undefined;
    expect(obj?.status?.lastCommit).toBeUndefined(); // killed before any status naming a commit

    const second = start(ns, cacheDir, 'second');
    await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
    await waitReady('KureApplication', ns, 'a', { status: 'True', reason: 'Rendered' }, 30_000);
    expect(commitCount(git, repo)).toBe(2); // the seed and one Kure commit: none lost, none twice
    const files = gitCli(['--git-dir', git.gitdir(repo), 'ls-tree', '-r', '--name-only', 'main', '--', 'clusters/prod']).split('\n').filter(Boolean);
    expect(files.some((f) => show(git, repo, f).includes('v: "1"'))).toBe(true);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(commitCount(git, repo)).toBe(2);
    lastRun = { ns, repo, cacheDir };
  });

  // When the process dies after the push and before the status write, the next process finds the
  // tree already on the branch (nothing to commit): it still records that commit, its own by its
  // Kure-Cluster trailer, in status.lastCommit.
  it('the cluster status names the commit that is on the branch', async () => {
    expect(lastRun).toBeDefined();
    const { ns, repo, cacheDir } = lastRun!;
    lastRun = undefined;
    const third = start(ns, cacheDir, 'third');
    try {
      await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
      await waitFor(
        'the status to name the commit on the branch',
        async () => {
          const c = (await getKure('KureCluster', ns, 'prod')) as { status?: { lastCommit?: { sha: string } } } | undefined;
          return c?.status?.lastCommit?.sha === head(git, repo);
        },
        15_000,
      );
    } finally {
      third.kill('SIGTERM');
      await third.exited;
    }
    expect(commitCount(git, repo)).toBe(2);
  });
});
