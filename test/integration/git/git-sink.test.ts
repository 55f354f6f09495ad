// The Git sink against a real Git server (git http-backend): what lands in the repository is
// checked with the git CLI, never with the sink's own view.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { GitError, GitSink, changeMessage, type GitTarget } from '../../../src/git/index.js';
import { gitCli, gitCliAsync, startGitServer, type GitServer } from '../../support/git-server.js';

const USER = 'kure-bot';
const PASS = 'p4ss-w0rd-very-secret';

let server: GitServer;
let tmp: string;
let repoCount = 0;

beforeAll(async () => {
  server = await startGitServer({ username: USER, password: PASS });
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-sink-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function newRepo(files?: Record<string, string>): { name: string; gitdir: string } {
  const name = `repo-${++repoCount}`;
  return { name, gitdir: server.createRepo(name, { branch: 'main', files }) };
}

function target(name: string, over: Partial<GitTarget> = {}): GitTarget {
  return {
    url: server.url(name),
    branch: 'main',
    path: 'clusters/production',
    auth: { username: USER, password: PASS },
    author: { name: 'Kure', email: 'kure@example.com' },
    ...over,
  };
}

const git = (gitdir: string, ...args: string[]): string => gitCli(['--git-dir', gitdir, ...args]);
const lines = (s: string): string[] => s.split('\n').filter(Boolean);
const head = (gitdir: string): string => git(gitdir, 'rev-parse', 'main').trim();
const commits = (gitdir: string): number => Number(git(gitdir, 'rev-list', '--count', 'main').trim());
const filesUnder = (gitdir: string, dir: string): string[] => lines(git(gitdir, 'ls-tree', '-r', '--name-only', 'main', '--', dir));

function tree(files: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

const base = {
  'kustomization.yaml': 'resources:\n- apps\n',
  'apps/podinfo/deployment.yaml': 'kind: Deployment\n',
  'apps/podinfo/service.yaml': 'kind: Service\n',
  'infra/cert-manager/helmrelease.yaml': 'kind: HelmRelease\n',
};

function captureLogs(): { logger: pino.Logger; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => out };
}

describe('GitSink', () => {
  it('writes the tree under path; an identical sync makes no commit; one changed file makes one commit touching only it', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'repo readme\n', 'clusters/staging/x.yaml': 'staging\n' });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const t = target(name);

    const first = await sink.sync(t, tree(base), changeMessage('production'));
    expect(first.changed).toBe(true);
    expect(first.sha).toBe(head(gitdir));
    expect(first.changedPaths).toEqual(Object.keys(base).sort());
    expect(first.attempts).toBe(1);
    expect(first.message).toBe(
      'kure: render production (4 files)\n\napps/podinfo/deployment.yaml\napps/podinfo/service.yaml\ninfra/cert-manager/helmrelease.yaml\nkustomization.yaml',
    );
    expect(filesUnder(gitdir, 'clusters/production')).toEqual(Object.keys(base).map((p) => `clusters/production/${p}`).sort());
    for (const [p, content] of Object.entries(base)) expect(git(gitdir, 'show', `main:clusters/production/${p}`)).toBe(content);
    expect(git(gitdir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main').trim()).toBe('Kure <kure@example.com>|Kure <kure@example.com>');
    expect(commits(gitdir)).toBe(2);
    git(gitdir, 'fsck', '--strict');

    const again = await sink.sync(t, tree(base), 'should not be committed');
    // Nothing pushed: the head, with its message and time (a caller can tell a commit of its own it has not recorded).
    expect(again).toEqual({ changed: false, sha: first.sha, changedPaths: [], attempts: 1, drifted: [], message: first.message, time: expect.any(String) });
    expect(commits(gitdir)).toBe(2);

    const changed = await sink.sync(t, tree({ ...base, 'apps/podinfo/service.yaml': 'kind: Service\nspec: {}\n' }), changeMessage('production'));
    expect(changed.changed).toBe(true);
    expect(changed.changedPaths).toEqual(['apps/podinfo/service.yaml']);
    expect(commits(gitdir)).toBe(3);
    expect(lines(git(gitdir, 'diff', '--name-only', 'main~1', 'main'))).toEqual(['clusters/production/apps/podinfo/service.yaml']);
    expect(git(gitdir, 'log', '-1', '--format=%s', 'main').trim()).toBe('kure: render production (1 file)');
    // Untouched subtrees keep their ids.
    expect(git(gitdir, 'rev-parse', 'main:clusters/production/infra')).toBe(git(gitdir, 'rev-parse', 'main~1:clusters/production/infra'));
    git(gitdir, 'fsck', '--strict');

    // Added and removed files, and a directory that disappears.
    const fewer: Record<string, string> = { ...base, 'apps/podinfo/service.yaml': 'kind: Service\nspec: {}\n', 'new/file.yaml': 'new\n' };
    delete fewer['infra/cert-manager/helmrelease.yaml'];
    const third = await sink.sync(t, tree(fewer), 'add and remove');
    expect(third.changedPaths).toEqual(['infra/cert-manager/helmrelease.yaml', 'new/file.yaml']);
    expect(filesUnder(gitdir, 'clusters/production')).toEqual(Object.keys(fewer).map((p) => `clusters/production/${p}`).sort());
    expect(git(gitdir, 'ls-tree', '--name-only', 'main', 'clusters/production/').trim().split('\n')).not.toContain('clusters/production/infra');
  });

  it('carries files outside path over untouched', async () => {
    const outside = { 'README.md': 'readme\n', 'clusters/staging/a.yaml': 'a\n', 'clusters/production-old/b.yaml': 'b\n', 'docs/x/y/z.md': 'z\n' };
    const { name, gitdir } = newRepo(outside);
    const before = Object.fromEntries(Object.keys(outside).map((p) => [p, git(gitdir, 'rev-parse', `main:${p}`).trim()]));
    const stagingTree = git(gitdir, 'rev-parse', 'main:clusters/staging').trim();
    const docsTree = git(gitdir, 'rev-parse', 'main:docs').trim();
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });

    await sink.sync(target(name), tree(base), 'first');
    await sink.sync(target(name), tree({ 'only.yaml': 'x\n' }), 'second');
    for (const [p, oid] of Object.entries(before)) expect(git(gitdir, 'rev-parse', `main:${p}`).trim()).toBe(oid);
    expect(git(gitdir, 'rev-parse', 'main:clusters/staging').trim()).toBe(stagingTree);
    expect(git(gitdir, 'rev-parse', 'main:docs').trim()).toBe(docsTree);
    expect(filesUnder(gitdir, 'clusters/production')).toEqual(['clusters/production/only.yaml']);
    expect(lines(git(gitdir, 'diff', '--name-only', 'main~2', 'main')).every((p) => p.startsWith('clusters/production/'))).toBe(true);
  });

  it('keeps a commit pushed by someone else between two syncs (no force push)', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'v1\n' });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const t = target(name);
    await sink.sync(t, tree(base), 'kure 1');

    // Someone else clones, commits outside the path, and pushes.
    const other = path.join(tmp, 'other');
    await gitCliAsync(['clone', '--quiet', server.authUrl(name), other]);
    fs.writeFileSync(path.join(other, 'README.md'), 'v2 by a human\n');
    gitCli(['-c', 'user.name=Human', '-c', 'user.email=h@example.com', 'commit', '--quiet', '-am', 'human change'], { cwd: other });
    await gitCliAsync(['push', '--quiet', 'origin', 'main'], { cwd: other });
    const humanSha = head(gitdir);

    const res = await sink.sync(t, tree({ ...base, 'kustomization.yaml': 'resources: []\n' }), 'kure 2');
    expect(res.changed).toBe(true);
    expect(git(gitdir, 'rev-parse', 'main~1').trim()).toBe(humanSha);
    expect(git(gitdir, 'show', 'main:README.md')).toBe('v2 by a human\n');
    expect(git(gitdir, 'show', 'main:clusters/production/kustomization.yaml')).toBe('resources: []\n');
    expect(lines(git(gitdir, 'log', '--format=%s', 'main'))).toEqual(['kure 2', 'human change', 'kure 1', 'seed']);
    git(gitdir, 'fsck', '--strict');
  });

  it('restores files under path that were changed by hand (drift), and keeps the rest of that commit', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'v1\n' });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const t = target(name);
    await sink.sync(t, tree(base), 'kure 1');

    const other = path.join(tmp, 'other');
    await gitCliAsync(['clone', '--quiet', server.authUrl(name), other]);
    fs.writeFileSync(path.join(other, 'clusters/production/kustomization.yaml'), 'hand edit\n');
    fs.writeFileSync(path.join(other, 'clusters/production/stray.yaml'), 'stray\n');
    fs.writeFileSync(path.join(other, 'README.md'), 'v2\n');
    gitCli(['add', '.'], { cwd: other });
    gitCli(['-c', 'user.name=Human', '-c', 'user.email=h@example.com', 'commit', '--quiet', '-m', 'hand edits'], { cwd: other });
    await gitCliAsync(['push', '--quiet', 'origin', 'main'], { cwd: other });

    const seen: string[][] = [];
    const res = await sink.sync(t, tree(base), (changed, drifted) => (seen.push(changed, drifted), 'kure: repair'));
    expect(res.changed).toBe(true);
    expect(res.changedPaths).toEqual(['kustomization.yaml', 'stray.yaml']);
    // Both restore what Kure had pushed: a drift repair, and the message function is told so.
    expect(res.drifted).toEqual(['kustomization.yaml', 'stray.yaml']);
    expect(seen).toEqual([res.changedPaths, res.drifted]);
    expect(git(gitdir, 'show', 'main:clusters/production/kustomization.yaml')).toBe(base['kustomization.yaml']);
    expect(filesUnder(gitdir, 'clusters/production')).toEqual(Object.keys(base).map((p) => `clusters/production/${p}`).sort());
    expect(git(gitdir, 'show', 'main:README.md')).toBe('v2\n');

    // A hand edit and a change of Kure's own in one commit: only the edited file is a repair.
    await gitCliAsync(['pull', '--quiet'], { cwd: other });
    fs.writeFileSync(path.join(other, 'clusters/production/kustomization.yaml'), 'hand edit 2\n');
    gitCli(['-c', 'user.name=Human', '-c', 'user.email=h@example.com', 'commit', '--quiet', '-am', 'hand edit 2'], { cwd: other });
    await gitCliAsync(['push', '--quiet', 'origin', 'main'], { cwd: other });
    const changedBase = { ...base, 'apps/podinfo/service.yaml': 'kind: Service\nspec: {ports: []}\n' };
    const mixed = await sink.sync(t, tree(changedBase), 'kure: change and repair');
    expect(mixed.changedPaths).toEqual(['apps/podinfo/service.yaml', 'kustomization.yaml']);
    expect(mixed.drifted).toEqual(['kustomization.yaml']);

    // Nothing edited by hand: nothing drifted.
    const plain = await sink.sync(t, tree(base), 'kure: change');
    expect(plain).toMatchObject({ changed: true, changedPaths: ['apps/podinfo/service.yaml'], drifted: [] });
  });

  it('retries when the branch moves between reading it and pushing, bounded by maxAttempts', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'v1\n' });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const t = target(name);
    await sink.sync(t, tree(base), 'kure 1');

    // The message callback runs after the branch was read and before the push: move it there.
    let n = 0;
    const res = await sink.sync(t, tree({ ...base, 'a.yaml': 'a\n' }), (paths) => {
      if (++n === 1) {
        const sha = gitCli(['--git-dir', gitdir, 'commit-tree', '-m', 'meanwhile', '-p', 'main', 'main^{tree}']).trim();
        gitCli(['--git-dir', gitdir, 'update-ref', 'refs/heads/main', sha]);
      }
      return `kure: ${paths.join(',')}`;
    });
    expect(res.attempts).toBe(2);
    expect(lines(git(gitdir, 'log', '--format=%s', 'main'))).toEqual(['kure: a.yaml', 'meanwhile', 'kure 1', 'seed']);

    // Always moving: gives up with a conflict after maxAttempts.
    const impatient = new GitSink({ cacheDir: path.join(tmp, 'cache2'), maxAttempts: 3 });
    let calls = 0;
    const err = await impatient
      .sync(t, tree({ ...base, 'b.yaml': 'b\n' }), () => {
        calls++;
        const sha = gitCli(['--git-dir', gitdir, 'commit-tree', '-m', `meanwhile ${calls}`, '-p', 'main', 'main^{tree}']).trim();
        gitCli(['--git-dir', gitdir, 'update-ref', 'refs/heads/main', sha]);
        return 'never lands';
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).kind).toBe('conflict');
    expect((err as GitError).message).toMatch(/rejected 3 times/);
    expect(calls).toBe(3);
    expect(lines(git(gitdir, 'log', '--format=%s', 'main'))).not.toContain('never lands');
  });

  it("a push declined by a pre-receive hook says the hook's text, with credentials and terminal escapes removed", async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'v1\n' });
    // The hook echoes the pusher's password back (as a careless hook might) and colours its output.
    const hook = path.join(gitdir, 'hooks', 'pre-receive');
    fs.writeFileSync(hook, `#!/bin/sh\nprintf '\\033[31mGL-HOOK-ERR: main is protected\\033[0m\\n' >&2\necho "token ${PASS} may not push here" >&2\nexit 1\n`, { mode: 0o755 });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const err = await sink.sync(target(name), tree(base), 'kure 1').then(
      () => undefined,
      (e: unknown) => e as GitError,
    );
    expect(err).toBeInstanceOf(GitError);
    expect(err!.kind).toBe('other');
    expect(err!.message).toContain('was refused: pre-receive hook declined: the server said: GL-HOOK-ERR: main is protected / token');
    expect(err!.message).not.toContain(PASS);
    expect([...err!.message].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
    expect(commits(gitdir)).toBe(1);
  });

  it('removes path in one commit, and is a no-op when it is absent', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'r\n', 'clusters/staging/a.yaml': 'a\n' });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const t = target(name);
    await sink.sync(t, tree(base), 'kure 1');
    const removed = await sink.remove(t, 'kure: remove production');
    expect(removed.changed).toBe(true);
    expect(removed.changedPaths).toEqual(Object.keys(base).sort());
    expect(filesUnder(gitdir, 'clusters/production')).toEqual([]);
    expect(lines(git(gitdir, 'ls-tree', '-r', '--name-only', 'main'))).toEqual(['README.md', 'clusters/staging/a.yaml']);
    expect(commits(gitdir)).toBe(3);

    const again = await sink.remove(t, 'nothing to do');
    expect(again.changed).toBe(false);
    expect(commits(gitdir)).toBe(3);

    // A path whose parent becomes empty: the parent vanishes too.
    const solo = newRepo({ 'README.md': 'r\n' });
    const t2 = target(solo.name, { path: 'deep/er/path' });
    await sink.sync(t2, tree({ 'x.yaml': 'x\n' }), 'add');
    await sink.remove(t2, 'remove');
    expect(lines(git(solo.gitdir, 'ls-tree', '--name-only', 'main'))).toEqual(['README.md']);
  });

  it('creates the branch with a root commit in an empty repository', async () => {
    const { name, gitdir } = newRepo();
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const res = await sink.sync(target(name, { path: './clusters/production/' }), tree(base), 'initial');
    expect(res.changed).toBe(true);
    expect(commits(gitdir)).toBe(1);
    expect(git(gitdir, 'rev-list', '--parents', '-n1', 'main').trim()).toBe(res.sha);
    expect(filesUnder(gitdir, '.')).toEqual(Object.keys(base).map((p) => `clusters/production/${p}`).sort());
    // Another branch of the same repository starts from the default branch (createBranch), never as an orphan.
    const dev = await sink.sync(target(name, { branch: 'dev', createBranch: true }), tree({ 'a.yaml': 'a\n' }), 'dev');
    expect(dev.changed).toBe(true);
    expect(git(gitdir, 'rev-parse', 'dev~1').trim()).toBe(res.sha);
    expect(lines(git(gitdir, 'ls-tree', '-r', '--name-only', 'dev'))).toEqual(['clusters/production/a.yaml']);
    expect(commits(gitdir)).toBe(1);
  });

  it('works from a fresh cache and a fresh sink (restart), and with a token', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'r\n' });
    await new GitSink({ cacheDir: path.join(tmp, 'a') }).sync(target(name), tree(base), 'one');
    const restarted = new GitSink({ cacheDir: path.join(tmp, 'b') });
    expect((await restarted.sync(target(name), tree(base), 'same')).changed).toBe(false);
    const res = await restarted.sync(target(name), tree({ ...base, 'z.yaml': 'z\n' }), 'two');
    expect(res.changedPaths).toEqual(['z.yaml']);
    expect(lines(git(gitdir, 'diff', '--name-only', 'main~1', 'main'))).toEqual(['clusters/production/z.yaml']);

    // A new process reusing the cache directory, after someone else pushed: it fetches only what is new.
    const other = path.join(tmp, 'other');
    await gitCliAsync(['clone', '--quiet', server.authUrl(name), other]);
    fs.writeFileSync(path.join(other, 'README.md'), 'changed\n');
    gitCli(['commit', '--quiet', '-am', 'human'], { cwd: other });
    await gitCliAsync(['push', '--quiet', 'origin', 'main'], { cwd: other });
    const reused = new GitSink({ cacheDir: path.join(tmp, 'b') });
    const r3 = await reused.sync(target(name), tree({ ...base, 'z.yaml': 'z2\n' }), 'three');
    expect(r3.changedPaths).toEqual(['z.yaml']);
    expect(lines(git(gitdir, 'log', '--format=%s', 'main'))).toEqual(['three', 'human', 'two', 'one', 'seed']);

    // An aborted sync fails cleanly and does not hurt the next one.
    const aborted = await reused.sync(target(name), tree(base), 'x', AbortSignal.abort()).catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(GitError);
    expect((aborted as GitError).message).toMatch(/aborted/);
    expect((await reused.sync(target(name), tree({ ...base, 'z.yaml': 'z2\n' }), 'same')).changed).toBe(false);

    const tokenServer = await startGitServer({ username: 'x-access-token', password: 'ghp_tok3n' });
    try {
      tokenServer.createRepo('t');
      const sink = new GitSink({ cacheDir: path.join(tmp, 'c') });
      const r = await sink.sync(
        { ...target('t'), url: tokenServer.url('t'), auth: { token: 'ghp_tok3n' } },
        tree({ 'a.yaml': 'a\n' }),
        'token',
      );
      expect(r.changed).toBe(true);
      expect(gitCli(['--git-dir', tokenServer.gitdir('t'), 'log', '--format=%s', 'main']).trim()).toBe('token');
    } finally {
      await tokenServer.stop();
    }
  });

  it('fails with GitError kind auth on wrong credentials, pushes nothing, and never shows the secret', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'r\n' });
    const before = head(gitdir);
    const logs = captureLogs();
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache'), logger: logs.logger });
    const wrong = 'wr0ng-secret-value';
    for (const t of [
      target(name, { auth: { username: USER, password: wrong } }),
      target(name, { auth: undefined, url: server.url(name).replace('http://', `http://${USER}:${wrong}@`) }),
      target(name, { auth: undefined }),
    ]) {
      const err = await sink.sync(t, tree(base), 'nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitError);
      expect((err as GitError).kind).toBe('auth');
      expect((err as GitError).message).toMatch(/authentication failed \(HTTP 401\)/);
      expect((err as GitError).message).not.toContain(wrong);
      expect(String((err as GitError).stack)).not.toContain(wrong);
    }
    expect(head(gitdir)).toBe(before);
    expect(logs.text()).not.toContain(wrong);
    expect(logs.text()).not.toContain(Buffer.from(`${USER}:${wrong}`).toString('base64'));
    expect(logs.text()).toContain('"kind":"auth"');
  });

  it('fails with GitError kind network while the server is down, then works when it is back', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'r\n' });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const t = target(name);
    await sink.sync(t, tree(base), 'one');
    const next = tree({ ...base, 'b.yaml': 'b\n' });
    try {
      await server.setDown(true);
      const refused = await sink.sync(t, next, 'two').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GitError);
      expect((refused as GitError).kind).toBe('network');
      expect((refused as GitError).message).toMatch(/cannot reach the Git server/);
      await server.setDown('503');
      const unavailable = await sink.sync(t, next, 'two').catch((e: unknown) => e);
      expect((unavailable as GitError).kind).toBe('network');
      expect((unavailable as GitError).status).toBe(503);
    } finally {
      await server.setDown(false);
    }
    const res = await sink.sync(t, next, 'two');
    expect(res.changed).toBe(true);
    expect(lines(git(gitdir, 'log', '--format=%s', 'main'))).toEqual(['two', 'one', 'seed']);
  });

  it('rejects paths that escape or touch .git, and file/directory clashes', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'r\n' });
    const before = head(gitdir);
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const bad: [Partial<GitTarget>, Record<string, string>, RegExp][] = [
      // The owned path is checked with the model's normaliser (one for both), in its words.
      [{ path: '../outside' }, base, /inside the repository/],
      [{ path: 'clusters/../../x' }, base, /inside the repository/],
      [{ path: '' }, base, /below the repository root/],
      [{ path: '.' }, base, /below the repository root/],
      [{ path: '/abs' }, base, /relative/],
      [{ path: 'a/.git/hooks' }, base, /\.git/],
      [{}, { '../escape.yaml': 'x' }, /escapes/],
      [{}, { 'a/../../escape.yaml': 'x' }, /escapes/],
      [{}, { '.git/config': 'x' }, /\.git/],
      [{}, { 'a//b': 'x' }, /empty segment/],
      [{}, { a: 'x', 'a/b': 'y' }, /both a file and a directory/],
    ];
    for (const [over, files, re] of bad) {
      const err = await sink.sync(target(name, over), tree(files), 'bad').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitError);
      expect((err as GitError).message).toMatch(re);
    }
    expect(head(gitdir)).toBe(before);
  });

  it('serialises concurrent syncs of two paths in the same branch', async () => {
    const { name, gitdir } = newRepo({ 'README.md': 'r\n' });
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const results = await Promise.all([
      sink.sync(target(name, { path: 'clusters/a' }), tree({ 'x.yaml': 'a\n' }), 'a'),
      sink.sync(target(name, { path: 'clusters/b' }), tree({ 'x.yaml': 'b\n' }), 'b'),
      sink.sync(target(name, { path: 'clusters/c' }), tree({ 'x.yaml': 'c\n' }), 'c'),
    ]);
    expect(results.map((r) => r.attempts)).toEqual([1, 1, 1]);
    expect(lines(git(gitdir, 'ls-tree', '-r', '--name-only', 'main'))).toEqual(['README.md', 'clusters/a/x.yaml', 'clusters/b/x.yaml', 'clusters/c/x.yaml']);
    expect(commits(gitdir)).toBe(4);
  });
});
