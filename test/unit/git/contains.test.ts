import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CachedRepo } from '../../../src/git/repo.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();

describe('CachedRepo.contains (ancestry from the cached clone only)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('equal, ancestor, not an ancestor, and a commit the cache does not hold', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kure-contains-'));
    const repo = new CachedRepo(path.join(dir, 'cache'), 'http://git.example/fleet.git', 'main');
    const work = path.join(dir, 'work');
    execFileSync('mkdir', ['-p', work, repo.gitdir]);
    git(repo.gitdir, 'init', '--bare', '-q');
    git(work, 'init', '-q');
    const commit = (n: string) => {
      writeFileSync(path.join(work, 'f'), n);
      git(work, 'add', 'f');
      git(work, 'commit', '-qm', n);
      return git(work, 'rev-parse', 'HEAD');
    };
    const a = commit('a');
    const b = commit('b');
    const c = commit('c');
    git(work, 'checkout', '-qb', 'side', a);
    const s = commit('side');
    git(work, 'push', '-q', repo.gitdir, 'main', 'side');
    await repo.init();
    expect(await repo.contains(c, c)).toBe(true);
    expect(await repo.contains(c, a)).toBe(true);
    expect(await repo.contains(b, a)).toBe(true);
    expect(await repo.contains(a, c)).toBe(false);
    expect(await repo.contains(s, b)).toBe(false);
    expect(await repo.contains('f'.repeat(40), a)).toBeUndefined();
  });
});
