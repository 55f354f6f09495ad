// What the sink keeps in its cache and fetches, against a real Git server (git http-backend): blob-
// less shallow fetches where the server allows partial clones (and full shallow ones where it does
// not), only what is new after someone else pushes, and a cache that stays bounded however many
// commits are made. What lands in the repository is checked with the git CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitSink, type GitTarget } from '../../../src/git/index.js';
import { MAX_PACKS } from '../../../src/git/repo.js';
import { gitCli, gitCliAsync, seedCommit, startGitServer, type GitServer } from '../../support/git-server.js';

const USER = 'kure-bot';
const PASS = 'cache-test-secret';
let server: GitServer;
let tmp: string;
let n = 0;

beforeAll(async () => {
  server = await startGitServer({ username: USER, password: PASS });
});
afterAll(() => server.stop());
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-cache-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const git = (gitdir: string, ...args: string[]): string => gitCli(['--git-dir', gitdir, ...args]);
const lines = (s: string): string[] => s.split('\n').filter(Boolean);

/** A repository with files inside and outside the owned path; `filter` lets the server serve partial clones. */
function repo(filter: boolean): { name: string; gitdir: string } {
  const name = `cache-${++n}`;
  const gitdir = server.createRepo(name);
  const files: [string, string][] = [];
  for (let i = 0; i < 60; i++) files.push([`other/team-${i % 6}/file-${i}.yaml`, `kind: Other\nindex: ${i}\n`]);
  for (let i = 0; i < 20; i++) files.push([`clusters/production/apps/app-${i % 5}/f-${i}.yaml`, `i: ${i}\n`]);
  seedCommit(gitdir, 'main', files, 'seed');
  git(gitdir, 'config', 'uploadpack.allowFilter', String(filter));
  return { name, gitdir };
}

const target = (name: string): GitTarget => ({
  url: server.url(name),
  branch: 'main',
  path: 'clusters/production',
  auth: { username: USER, password: PASS },
  author: { name: 'Kure', email: 'kure@example.com' },
});

const desired = (rev: number): Map<string, string> =>
  new Map(Array.from({ length: 20 }, (_, i) => [`apps/app-${i % 5}/f-${i}.yaml`, i === rev % 20 && rev > 0 ? `i: ${i}\nrev: ${rev}\n` : `i: ${i}\n`]));

/** Object ids held in the sink's cached clone, by type (the git CLI reads it: it is a bare repository). */
function cachedObjects(cacheDir: string): Record<string, number> {
  const [gitdir] = fs.readdirSync(cacheDir).filter((d) => d.endsWith('.git'));
  const dir = path.join(cacheDir, gitdir!);
  const out: Record<string, number> = {};
  const all = gitCli(['--git-dir', dir, 'cat-file', '--batch-all-objects', '--batch-check=%(objecttype)']);
  for (const t of lines(all)) out[t] = (out[t] ?? 0) + 1;
  return out;
}

function dirSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return { bytes, files };
}

describe.each([
  ['a server that allows partial clones', true],
  ['a server that does not', false],
])('the cached clone, from %s', (_what, filter) => {
  it('holds the head commit and its trees, no blob it did not write; a foreign push brings only what is new', async () => {
    const { name, gitdir } = repo(filter);
    const cacheDir = path.join(tmp, 'cache');
    const sink = new GitSink({ cacheDir });
    expect((await sink.sync(target(name), desired(0), 'nothing')).changed).toBe(false);
    const trees = lines(git(gitdir, 'ls-tree', '-r', '-t', '-d', 'main')).length + 1;
    // Without a filter the server sends the 80 blobs too; they are not kept.
    expect(cachedObjects(cacheDir)).toEqual({ commit: 1, tree: trees });

    // Someone else changes a file outside the owned path: the next sync fetches that commit and the
    // three trees on its way, not the repository again.
    const other = path.join(tmp, 'other');
    await gitCliAsync(['clone', '--quiet', server.authUrl(name), other]);
    fs.writeFileSync(path.join(other, 'other/team-1/file-1.yaml'), 'changed\n');
    gitCli(['commit', '--quiet', '-am', 'human'], { cwd: other });
    await gitCliAsync(['push', '--quiet', 'origin', 'main'], { cwd: other });
    const before = cachedObjects(cacheDir);
    const res = await sink.sync(target(name), desired(1), (p) => `kure: ${p.join(', ')}`);
    expect(res.changedPaths).toEqual(['apps/app-1/f-1.yaml']);
    const after = cachedObjects(cacheDir);
    // fetched: 1 commit, 3 trees (root, other, other/team-1) (and, without a filter, 1 blob not
    // kept); written: 1 commit, 5 trees (app-1, apps, production, clusters, root), 1 blob.
    expect(after.commit! - before.commit!).toBe(2);
    expect(after.tree! - before.tree!).toBe(3 + 5);
    expect((after.blob ?? 0) - (before.blob ?? 0)).toBe(1);
    expect(lines(git(gitdir, 'log', '--format=%s', 'main'))).toEqual(['kure: apps/app-1/f-1.yaml', 'human', 'seed']);
    expect(git(gitdir, 'show', 'main:other/team-1/file-1.yaml')).toBe('changed\n');
    git(gitdir, 'fsck', '--strict');
  });
});

it(`stays bounded over many commits: packs are compacted into one once there are more than ${MAX_PACKS}`, async () => {
  const { name, gitdir } = repo(true);
  const cacheDir = path.join(tmp, 'cache');
  const sink = new GitSink({ cacheDir });
  await sink.sync(target(name), desired(0), 'nothing');
  const sizes: number[] = [];
  const COMMITS = 3 * MAX_PACKS;
  for (let rev = 1; rev <= COMMITS; rev++) {
    const r = await sink.sync(target(name), desired(rev), `rev ${rev}`);
    expect(r.changed).toBe(true);
    if (rev % MAX_PACKS === 0) sizes.push(dirSize(cacheDir).files);
  }
  expect(Number(git(gitdir, 'rev-list', '--count', 'main').trim())).toBe(COMMITS + 1);
  git(gitdir, 'fsck', '--strict');
  // Files in the cache never exceed the bound (a pack and an index per commit since the last compaction, plus a few).
  for (const files of sizes) expect(files).toBeLessThan(2 * MAX_PACKS + 20);
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(2 * MAX_PACKS + 4);
  // And a fresh sink on the compacted cache (a restart) carries on from it without fetching.
  const restarted = new GitSink({ cacheDir });
  const res = await restarted.sync(target(name), desired(COMMITS + 1), 'after restart');
  expect(res.changedPaths).toEqual([`apps/app-${COMMITS % 5}/f-${COMMITS % 20}.yaml`, `apps/app-${(COMMITS + 1) % 5}/f-${(COMMITS + 1) % 20}.yaml`].sort());
  expect(git(gitdir, 'log', '-1', '--format=%s', 'main').trim()).toBe('after restart');
  const objects = cachedObjects(cacheDir);
  expect(objects.commit).toBeLessThanOrEqual(MAX_PACKS + 2);
});
