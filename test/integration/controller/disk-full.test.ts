import { jest } from '@jest/globals';
// The disk of the Git cache full, for real: the real `kure controller` process (the compiled CLI)
// with --git-cache-dir on a 4 MiB tmpfs that a filler file has filled up. The cluster must say so in
// its Ready condition (no space left on the device, naming the cache), the process must keep running
// (no crash loop: the same pid, /healthz 200 throughout), and once space is freed it must converge
// by itself, with nothing lost. Needs root for the mount; without it the test says so and is skipped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GitServer } from '../../support/git-server.js';
import { testKubeconfigPath } from '../../support/kube.js';
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
  waitFor,
  waitReady,
  type ControllerProcess,
} from './harness.js';

jest.setTimeout(180_000);

const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-full-cache-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounted = true;
} catch (err) {
  process.stderr.write(`disk-full.test.ts: skipped, cannot mount a tmpfs (needs root): ${(err as Error).message.split('\n')[0]}\n`);
}

let git: GitServer;
let main: string;
let proc: ControllerProcess | undefined;

beforeAll(async () => {
  if (!mounted) return;
  [main] = await Promise.all([buildCli(), installCrds()]);
  git = await startGit();
});
afterAll(async () => {
  proc?.kill('SIGKILL');
  await proc?.exited;
  await removeCliBuild();
  await git?.stop();
  if (mounted) execFileSync('umount', [mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

/** Fills the filesystem of `dir` with one file until the kernel says ENOSPC; returns its path. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err;
    for (let small = Buffer.alloc(512, 1); ; ) {
      try {
        fs.writeSync(fd, small);
      } catch {
        break;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

(mounted ? describe : describe.skip)('the Git cache disk full', () => {
  it('Ready=False naming the full disk, no crash loop; converges once space is freed, nothing lost', async () => {
    const ns = await newNamespace('kd');
    git.createRepo('full', { files: { 'README.md': 'fleet\n' } });
    await createGitSecret(ns);
    const cacheDir = path.join(mountPoint, 'cache');
    fs.mkdirSync(cacheDir);
    const filler = fill(mountPoint);
    expect(fs.statfsSync(mountPoint).bavail).toBe(0);

    proc = spawnController(main, 'full', [
      '--kubeconfig', testKubeconfigPath(),
      '--namespaces', ns,
      '--metrics-addr', '127.0.0.1:0',
      '--git-cache-dir', cacheDir,
      '--settle', '200ms',
    ]);
    const p = proc;
    const pid = p.child.pid;
    await applyAll([...smallCluster(ns, git.url('full')), configMapApp(ns, 'a', 'web', { v: '1' })]);
    const cond = await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'GitError' }, 60_000);
    expect(cond.message).toMatch(/no space left on device|ENOSPC/i);
    expect(cond.message).toContain(cacheDir);
    expect(cond.message).not.toContain(GIT_PASSWORD);
    expect(commitCount(git, 'full')).toBe(1);
    // Still failing a few retries later: the same process, healthy, and no crash.
    const errorsBefore = await p.metric('kure_git_errors_total');
    await waitFor('two more failed attempts (backoff)', async () => (await p.metric('kure_git_errors_total')) >= errorsBefore + 2, 60_000, 250);
    expect(p.child.exitCode).toBeNull();
    expect(p.child.pid).toBe(pid);
    expect((await fetch(`http://${await p.metricsAddress()}/healthz`)).status).toBe(200);

    // Space freed: it converges by itself; a change made meanwhile is in the commit.
    await apply(configMapApp(ns, 'a', 'web', { v: '2' }));
    fs.rmSync(filler);
    // The application Ready at its new generation means the commit holding it is pushed. A retry
    // already due may push the cluster once before the watch delivers the change (then v:1, then
    // v:2): one or two commits by Kure, never none and never the change lost.
    await waitReady('KureApplication', ns, 'a', { status: 'True', reason: 'Rendered' }, 90_000);
    await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 30_000);
    const tree = execFileSync('git', ['--git-dir', git.gitdir('full'), 'grep', '-h', 'v:', 'main', '--', 'clusters/prod'], { encoding: 'utf8' });
    expect(tree).toContain('"2"');
    expect(commitCount(git, 'full')).toBeGreaterThanOrEqual(2);
    expect(commitCount(git, 'full')).toBeLessThanOrEqual(3);
    expect(p.child.exitCode).toBeNull();
    expect(p.logs()).not.toContain(GIT_PASSWORD);
  });
});
