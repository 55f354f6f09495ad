// repository.branch that does not exist, on the real Git server (git http-backend): Kure says so
// and writes nothing, or (createBranch) starts the branch from the default branch's head, never as
// an orphan holding only its own path. What lands is checked with the git CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitError, GitSink, type GitTarget } from '../../../src/git/index.js';
import { gitCli, startGitServer, type GitServer } from '../../support/git-server.js';

const USER = 'kure-bot';
const PASS = 'branch-test-secret-0xd1';

let server: GitServer;
let tmp: string;
let n = 0;

beforeAll(async () => {
  server = await startGitServer({ username: USER, password: PASS });
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-branch-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const git = (gitdir: string, ...args: string[]): string => gitCli(['--git-dir', gitdir, ...args]);
const refs = (gitdir: string): string[] => git(gitdir, 'for-each-ref', '--format=%(refname)').split('\n').filter(Boolean);
const files = (gitdir: string, rev: string): string[] => git(gitdir, 'ls-tree', '-r', '--name-only', rev).split('\n').filter(Boolean);

function repo(): { name: string; gitdir: string } {
  const name = `b-${++n}`;
  return { name, gitdir: server.createRepo(name, { branch: 'main', files: { 'README.md': 'fleet\n', 'other/team.yaml': 'theirs\n' } }) };
}

function target(name: string, over: Partial<GitTarget> = {}): GitTarget {
  return { url: server.url(name), branch: 'prod', path: 'clusters/prod', auth: { username: USER, password: PASS }, author: { name: 'Kure', email: 'kure@example.com' }, ...over };
}
const tree = new Map([['kustomization.yaml', 'resources: []\n']]);

describe('a repository.branch that does not exist', () => {
  it('is a branch-not-found GitError naming the branch, the URL and the way out; nothing is written', async () => {
    const { name, gitdir } = repo();
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const err = await sink.sync(target(name), tree, 'kure: render prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    const e = err as GitError;
    expect(e.kind).toBe('branch-not-found');
    expect(e.message).toContain('branch prod does not exist');
    expect(e.message).toContain(server.url(name));
    expect(e.message).toContain('createBranch: true');
    expect(e.message).toContain('(main)');
    expect(e.message).not.toContain(PASS);
    expect(refs(gitdir)).toEqual(['refs/heads/main']);
    // Removing a path from a branch that does not exist is a no-op, not an error.
    const removed = await sink.remove(target(name), 'kure: remove');
    expect(removed).toMatchObject({ changed: false, sha: '' });
    expect(refs(gitdir)).toEqual(['refs/heads/main']);
  });

  it('with createBranch: true is created from the default branch head (its files kept), never as an orphan', async () => {
    const { name, gitdir } = repo();
    const main = git(gitdir, 'rev-parse', 'main').trim();
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const res = await sink.sync(target(name, { createBranch: true }), tree, 'kure: render prod');
    expect(res.changed).toBe(true);
    expect(git(gitdir, 'rev-parse', 'prod').trim()).toBe(res.sha);
    expect(git(gitdir, 'rev-parse', 'prod~1').trim()).toBe(main);
    expect(files(gitdir, 'prod')).toEqual(['README.md', 'clusters/prod/kustomization.yaml', 'other/team.yaml']);
    expect(git(gitdir, 'rev-parse', 'main').trim()).toBe(main); // the default branch is not written
    // From then on it is an ordinary branch: the same tree again is no commit.
    expect((await sink.sync(target(name, { createBranch: true }), tree, 'again')).changed).toBe(false);
  });

  it('with createBranch and a default branch that is not main: from the branch HEAD names', async () => {
    const name = `b-${++n}`;
    const gitdir = server.createRepo(name, { branch: 'trunk', files: { 'README.md': 'trunk\n' } });
    const trunk = git(gitdir, 'rev-parse', 'trunk').trim();
    const res = await new GitSink({ cacheDir: path.join(tmp, 'cache') }).sync(target(name, { branch: 'main', createBranch: true }), tree, 'kure');
    expect(git(gitdir, 'rev-parse', 'main~1').trim()).toBe(trunk);
    expect(res.sha).toBe(git(gitdir, 'rev-parse', 'main').trim());
  });

  it('with createBranch and nothing to write (the default branch already holds the tree): the branch starts at its head', async () => {
    const name = `b-${++n}`;
    const gitdir = server.createRepo(name, { branch: 'main', files: { 'clusters/prod/kustomization.yaml': 'resources: []\n' } });
    const main = git(gitdir, 'rev-parse', 'main').trim();
    const res = await new GitSink({ cacheDir: path.join(tmp, 'cache') }).sync(target(name, { createBranch: true }), tree, 'kure');
    expect(res).toMatchObject({ changed: false, sha: main });
    expect(git(gitdir, 'rev-parse', 'prod').trim()).toBe(main);
  });

  it('an empty repository (no branch at all) gets the branch with the first commit, with or without createBranch', async () => {
    const name = `b-${++n}`;
    const gitdir = server.createRepo(name, { branch: 'main' });
    const res = await new GitSink({ cacheDir: path.join(tmp, 'cache') }).sync(target(name, { branch: 'main' }), tree, 'kure');
    expect(res.changed).toBe(true);
    expect(git(gitdir, 'rev-list', '--count', 'main').trim()).toBe('1');
  });
});
