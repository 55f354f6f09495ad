// The Git sink under server faults, through a misbehaving front (faulty-proxy.ts) for the real Git
// server: 500s for a while, a server slower than the deadline, a push cut before the server saw it,
// and a push the server applied whose answer never came back. Each time: a clear GitError whose kind
// says that retrying helps, then convergence on retry with nothing lost and no duplicate commit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitError, GitSink, type GitTarget } from '../../../src/git/index.js';
import { startFaultyProxy, type FaultyProxy } from '../../support/faulty-proxy.js';
import { gitCli, startGitServer, type GitServer } from '../../support/git-server.js';

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
});
