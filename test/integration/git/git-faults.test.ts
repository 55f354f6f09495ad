// The Git sink under server faults, through a misbehaving front (faulty-proxy.ts) for the real Git
// server: 500s for a while, a server slower than the deadline, a push cut before the server saw it,
// and a push the server applied whose answer never came back. Each time: a clear GitError whose kind
// says that retrying helps, then convergence on retry with nothing lost and no duplicate commit.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitError, GitSink, type GitTarget } from '../../../src/git/index.js';
import { startFaultyProxy, type FaultyProxy } from '../../support/faulty-proxy.js';
import { gitCli, gitCliAsync, startGitServer, type GitServer } from '../../support/git-server.js';

const USER = 'kure-bot';
const PASS = 'f4ult-p4ss';

let server: GitServer;
let proxy: FaultyProxy;
let tmp: string;
let n = 0;

beforeAll(async () => {
  server = await startGitServer({ username: USER, password: PASS });
  proxy = await startFaultyProxy(new URL(server.url('x')).origin);
});
afterAll(async () => {
  await proxy.stop();
  await server.stop();
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-faults-'));
  proxy.set({ kind: 'none' });
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function repo(): { target: GitTarget; gitdir: string } {
  const name = `faults-${++n}`;
  const gitdir = server.createRepo(name, { branch: 'main', files: { 'README.md': 'fleet\n' } });
  const url = server.url(name).replace(new URL(server.url(name)).origin, proxy.base);
  return { gitdir, target: { url, branch: 'main', path: 'clusters/prod', auth: { username: USER, password: PASS }, author: { name: 'Kure', email: 'kure@example.com' } } };
}

const tree = (v: string) => new Map([['kustomization.yaml', `resources: []\n# ${v}\n`]]);
const log = (gitdir: string) => gitCli(['--git-dir', gitdir, 'log', '--format=%s', 'main']).trim().split('\n');
const show = (gitdir: string) => gitCli(['--git-dir', gitdir, 'show', 'main:clusters/prod/kustomization.yaml']);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as GitError,
  );

describe('the Git sink under server faults', () => {
  it('500 for a while: a network GitError naming the status, then the retry pushes once', async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    proxy.set({ kind: '500', count: 3 });
    const err = await failure(sink.sync(target, tree('v1'), 'kure v1'));
    expect(err).toBeInstanceOf(GitError);
    expect({ kind: err!.kind, message: err!.message }).toMatchObject({ kind: 'network', message: expect.stringContaining('HTTP 500') });
    expect(err!.message).not.toContain(PASS);
    expect(log(gitdir)).toEqual(['seed']);
    // Still failing (two more 500s), then the server is back.
    await failure(sink.sync(target, tree('v1'), 'kure v1'));
    await failure(sink.sync(target, tree('v1'), 'kure v1'));
    const ok = await sink.sync(target, tree('v1'), 'kure v1');
    expect(ok.changed).toBe(true);
    expect(log(gitdir)).toEqual(['kure v1', 'seed']);
  });

  it('a server slower than the deadline: a network GitError that says it timed out, nothing pushed', async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp, timeoutMs: 300 });
    proxy.set({ kind: 'slow', ms: 1500 });
    const err = await failure(sink.sync(target, tree('v1'), 'kure v1'));
    expect({ kind: err?.kind, message: err?.message }).toMatchObject({ kind: 'network', message: expect.stringContaining('timed out') });
    proxy.set({ kind: 'none' });
    expect((await sink.sync(target, tree('v1'), 'kure v1')).changed).toBe(true);
    expect(log(gitdir)).toEqual(['kure v1', 'seed']);
  });

  it('a push cut before the server saw it: the retry pushes it, one commit', async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    proxy.set({ kind: 'drop-push-request' });
    const err = await failure(sink.sync(target, tree('v1'), 'kure v1'));
    expect(err?.kind).toBe('network');
    expect(log(gitdir)).toEqual(['seed']);
    const ok = await sink.sync(target, tree('v1'), 'kure v1');
    expect(ok.changed).toBe(true);
    expect(log(gitdir)).toEqual(['kure v1', 'seed']);
  });

  it('a push applied whose answer was lost: the retry finds the tree in place and makes no second commit', async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    const forwarded = proxy.pushesForwarded;
    proxy.set({ kind: 'drop-push-answer' });
    const err = await failure(sink.sync(target, tree('v1'), 'kure v1'));
    expect(err?.kind).toBe('network');
    expect(proxy.pushesForwarded).toBe(forwarded + 1);
    expect(log(gitdir)).toEqual(['kure v1', 'seed']); // the server applied it
    const again = await sink.sync(target, tree('v1'), 'kure v1 again');
    expect(again).toMatchObject({ changed: false, sha: gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim() });
    expect(log(gitdir)).toEqual(['kure v1', 'seed']);
    // And the next change builds on it.
    expect((await sink.sync(target, tree('v2'), 'kure v2')).changed).toBe(true);
    expect(log(gitdir)).toEqual(['kure v2', 'kure v1', 'seed']);
    expect(show(gitdir)).toContain('# v2');
  });

  it.each([
    ['GitHub', 'fetch first'],
    ['GitLab', 'incorrect old value provided'],
    ['Gitea', 'failed to update ref'],
  ])('a push refused because the branch moved, worded as %s words it: retried, never a hard failure', async (_forge, reason) => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    proxy.set({ kind: 'reject-push', reason });
    const res = await sink.sync(target, tree('v1'), 'kure v1');
    expect(res).toMatchObject({ changed: true, attempts: 2 });
    expect(log(gitdir)).toEqual(['kure v1', 'seed']);
  });

  it('the cache directory deleted under it: the next sync clones again and builds on the remote head', async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    await sink.sync(target, tree('v1'), 'kure v1');
    for (const e of fs.readdirSync(tmp)) fs.rmSync(path.join(tmp, e), { recursive: true, force: true });
    expect((await sink.sync(target, tree('v2'), 'kure v2')).changed).toBe(true);
    expect(log(gitdir)).toEqual(['kure v2', 'kure v1', 'seed']);
    gitCli(['--git-dir', gitdir, 'fsck', '--strict']);
  });

  it('the cache corrupted under it: the sync drops the clone and converges from a fresh one; the remote is intact', async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    await sink.sync(target, tree('v1'), 'kure v1');
    const packs = (fs.readdirSync(tmp, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.pack') || f.endsWith('.idx'));
    expect(packs.length).toBeGreaterThan(0);
    for (const f of packs) fs.writeFileSync(path.join(tmp, f), 'not a pack');
    expect((await sink.sync(target, tree('v2'), 'kure v2')).changed).toBe(true);
    expect(log(gitdir)).toEqual(['kure v2', 'kure v1', 'seed']);
    gitCli(['--git-dir', gitdir, 'fsck', '--strict']);
  });
  it('the Git server killed in the middle of a push (receive-pack SIGKILLed mid-pack): nothing half-written, the retry pushes once', async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    // A pack of some megabytes (incompressible content), so that the kill lands while it streams.
    const big = new Map<string, string>();
    for (let i = 0; i < 64; i++) big.set(`blob-${i}.txt`, randomText(64 * 1024));
    const before = gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim();
    const killed = server.killNextPush(256 * 1024);
    const err = await failure(sink.sync(target, big, 'kure big'));
    const bytes = await killed;
    expect(bytes).toBeGreaterThanOrEqual(256 * 1024);
    expect(err).toBeInstanceOf(GitError);
    expect(err!.kind).toBe('network');
    expect(err!.message).not.toContain(PASS);
    // The branch did not move, and the repository is sound (the partial pack was never admitted).
    expect(gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim()).toBe(before);
    gitCli(['--git-dir', gitdir, 'fsck', '--strict', '--no-dangling']);
    const ok = await sink.sync(target, big, 'kure big');
    expect(ok).toMatchObject({ changed: true, attempts: 1 });
    expect(log(gitdir)).toEqual(['kure big', 'seed']);
    gitCli(['--git-dir', gitdir, 'fsck', '--strict']);
    expect(gitCli(['--git-dir', gitdir, 'show', 'main:clusters/prod/blob-63.txt'])).toBe(big.get('blob-63.txt'));
  });

  it("the branch force-pushed by someone else: Kure restores its path on top of their history and destroys nothing of theirs", async () => {
    const { target, gitdir } = repo();
    const sink = new GitSink({ cacheDir: tmp });
    await sink.sync(target, tree('v1'), 'kure v1');
    const kureV1 = gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim();
    // A person rewrites the branch: back to the seed, their own commit on it, pushed with --force.
    // Kure's commit (and its path) is gone from the branch; its cache still holds the old head.
    const work = path.join(tmp, 'person');
    await gitCliAsync(['clone', '--quiet', server.authUrl(path.basename(gitdir, '.git')), work]);
    gitCli(['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: work });
    fs.mkdirSync(path.join(work, 'apps'), { recursive: true });
    fs.writeFileSync(path.join(work, 'apps', 'theirs.yaml'), 'kind: Theirs\n');
    gitCli(['add', '.'], { cwd: work });
    gitCli(['commit', '--quiet', '-m', 'person: rewrite'], { cwd: work });
    await gitCliAsync(['push', '--quiet', '--force', 'origin', 'main'], { cwd: work });
    const theirs = gitCli(['rev-parse', 'HEAD'], { cwd: work }).trim();
    expect(gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim()).toBe(theirs);
    expect(() => gitCli(['--git-dir', gitdir, 'merge-base', '--is-ancestor', kureV1, 'main'])).toThrow();

    // The same desired tree: Kure notices its path is gone and restores it in a commit on theirs.
    const res = await sink.sync(target, tree('v1'), 'kure restore');
    expect(res).toMatchObject({ changed: true, attempts: 1 });
    expect(gitCli(['--git-dir', gitdir, 'rev-parse', 'main^']).trim()).toBe(theirs); // on top, not a force push
    expect(log(gitdir)).toEqual(['kure restore', 'person: rewrite', 'seed']);
    expect(show(gitdir)).toContain('# v1');
    expect(gitCli(['--git-dir', gitdir, 'show', 'main:apps/theirs.yaml'])).toBe('kind: Theirs\n');
    expect(gitCli(['--git-dir', gitdir, 'show', 'main:README.md'])).toBe('fleet\n');
    // And a force push that rewrote Kure's own path (their version of it) is restored as well.
    fs.mkdirSync(path.join(work, 'clusters', 'prod'), { recursive: true });
    await gitCliAsync(['fetch', '--quiet', 'origin'], { cwd: work });
    gitCli(['reset', '--quiet', '--hard', theirs], { cwd: work });
    fs.writeFileSync(path.join(work, 'clusters', 'prod', 'kustomization.yaml'), 'theirs\n');
    fs.writeFileSync(path.join(work, 'apps', 'more.yaml'), 'kind: More\n');
    gitCli(['add', '.'], { cwd: work });
    gitCli(['commit', '--quiet', '-m', 'person: rewrite again'], { cwd: work });
    await gitCliAsync(['push', '--quiet', '--force', 'origin', 'main'], { cwd: work });
    const theirs2 = gitCli(['rev-parse', 'HEAD'], { cwd: work }).trim();
    const res2 = await sink.sync(target, tree('v2'), 'kure v2');
    expect(res2.changed).toBe(true);
    expect(gitCli(['--git-dir', gitdir, 'rev-parse', 'main^']).trim()).toBe(theirs2);
    expect(show(gitdir)).toContain('# v2');
    expect(gitCli(['--git-dir', gitdir, 'show', 'main:apps/more.yaml'])).toBe('kind: More\n');
    gitCli(['--git-dir', gitdir, 'fsck', '--strict']);
  });

  it('two Kure instances (two clusters, two caches) and a person pushing to one branch at once: all three histories survive', async () => {
    const { target, gitdir } = repo();
    const name = path.basename(gitdir, '.git');
    const a = new GitSink({ cacheDir: path.join(tmp, 'a'), maxAttempts: 20 });
    const b = new GitSink({ cacheDir: path.join(tmp, 'b'), maxAttempts: 20 });
    const targetA = { ...target, path: 'clusters/a' };
    const targetB = { ...target, path: 'clusters/b' };
    const work = path.join(tmp, 'person');
    await gitCliAsync(['clone', '--quiet', server.authUrl(name), work]);
    const rounds = 6;
    const kure = async (sink: GitSink, t: GitTarget, who: string) => {
      for (let i = 1; i <= rounds; i++) await sink.sync(t, tree(`${who}${i}`), `${who} ${i}`);
    };
    const person = async () => {
      for (let i = 1; i <= rounds; i++) {
        fs.writeFileSync(path.join(work, `person-${i}.txt`), `${i}\n`);
        gitCli(['add', '.'], { cwd: work });
        gitCli(['commit', '--quiet', '-m', `person ${i}`], { cwd: work });
        // What a person does when the push is refused: pull --rebase and push again (never --force).
        for (let tries = 0; ; tries++) {
          try {
            await gitCliAsync(['push', '--quiet', 'origin', 'main'], { cwd: work });
            break;
          } catch (err) {
            if (tries > 30) throw err;
            await gitCliAsync(['pull', '--quiet', '--rebase', 'origin', 'main'], { cwd: work });
          }
        }
      }
    };
    await Promise.all([kure(a, targetA, 'a'), kure(b, targetB, 'b'), person()]);

    const subjects = log(gitdir);
    const expected = ['seed', ...Array.from({ length: rounds }, (_, i) => [`a ${i + 1}`, `b ${i + 1}`, `person ${i + 1}`]).flat()];
    expect([...subjects].sort()).toEqual([...expected].sort()); // every commit of all three, each once
    // Each one's commits in its own order (a linear history: nobody rewrote anybody).
    for (const who of ['a', 'b', 'person']) {
      const mine = subjects.filter((s) => s.startsWith(`${who} `)).reverse();
      expect(mine).toEqual(Array.from({ length: rounds }, (_, i) => `${who} ${i + 1}`));
    }
    expect(gitCli(['--git-dir', gitdir, 'rev-list', '--merges', '--count', 'main']).trim()).toBe('0');
    expect(gitCli(['--git-dir', gitdir, 'show', 'main:clusters/a/kustomization.yaml'])).toContain(`# a${rounds}`);
    expect(gitCli(['--git-dir', gitdir, 'show', 'main:clusters/b/kustomization.yaml'])).toContain(`# b${rounds}`);
    for (let i = 1; i <= rounds; i++) expect(gitCli(['--git-dir', gitdir, 'show', `main:person-${i}.txt`])).toBe(`${i}\n`);
    gitCli(['--git-dir', gitdir, 'fsck', '--strict']);
  }, 120_000);
});

function randomText(n: number): string {
  return randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
}
