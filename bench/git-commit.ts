// Git benchmark: the sink against git itself, side by side in one run, on a repository of 50,000
// files (10,000 of them under the owned path), served by the real test Git server (git http-backend
// on loopback, in this process, for both). Targets (ARCHITECTURE.md): the first sync within 3x of
// `git clone --no-checkout`; a one-file commit within 2x of `git add` + `git commit`; a cache that
// does not grow without bound (its size after 1,000 commits).
//
// - cold: a fresh cache's first sync (fetch, load the owned trees, hash 10,000 files, find nothing
//   to change) against `git clone --no-checkout`, 3 interleaved runs each, median. Twice: with the
//   server allowing partial clones (`uploadpack.allowFilter`, as GitHub, GitLab and Gitea do) and
//   without (a plain git http-backend).
// - one file: 7 syncs each changing one file (discover, commit, push) against `git add` +
//   `git commit` of the same change in a clone with a work tree (and, separately, its `git push`),
//   on a copy of the repository on the same server.
// - cache: its bytes and files after 1, 10, 100 and 1,000 one-file commits.
//
// Run alone: `node dist/bench/git-commit.js`.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GitSink, type GitTarget } from '../src/git/index.js';
import { gitCli, gitCliAsync, seedCommit, startGitServer } from '../test/support/git-server.js';
import { median, percentile, scratchDir } from './process.js';

const TOTAL_FILES = 50_000;
const OWNED_FILES = 10_000; // under clusters/production: 500 applications × 20 files
const OWNED = 'clusters/production';
const CACHE_COMMITS = Number(process.env.KURE_BENCH_GIT_COMMITS ?? 1000);

function ownedContent(app: number, file: number, rev = 0): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${app}-${file}\n  namespace: team-${app % 37}\ndata:\n  revision: "${rev}"\n  key: value-${app * 31 + file}\n`;
}

function* ownedFiles(): Generator<[string, string]> {
  for (let a = 0; a < OWNED_FILES / 20; a++) for (let f = 0; f < 20; f++) yield [`apps/app-${a}/file-${f}.yaml`, ownedContent(a, f)];
}

function* allFiles(): Generator<[string, string]> {
  for (const [p, c] of ownedFiles()) yield [`${OWNED}/${p}`, c];
  const others = TOTAL_FILES - OWNED_FILES;
  for (let i = 0; i < others; i++) {
    yield [`other/team-${i % 40}/svc-${Math.floor(i / 40) % 50}/file-${i}.yaml`, `kind: Other\nindex: ${i}\n`];
  }
}

const round = (x: number): number => Math.round(x * 10) / 10;
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

function dirSize(dir: string): { mb: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return { mb: round(bytes / 1048576), files };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

export async function benchGitCommit(): Promise<Record<string, number>> {
  const tmp = scratchDir('kure-bench-git-');
  const server = await startGitServer({ username: 'bench', password: 'bench-secret', root: path.join(tmp, 'server') });
  fs.mkdirSync(server.root, { recursive: true });
  try {
    const t = performance.now();
    const gitdir = server.createRepo('big');
    seedCommit(gitdir, 'main', allFiles(), 'seed 50,000 files');
    gitCli(['--git-dir', gitdir, 'repack', '-adq']); // one pack, like a real hosted repository
    fs.cpSync(gitdir, server.gitdir('big-git'), { recursive: true }); // the same repository for the git CLI's commits
    const seedMs = performance.now() - t;

    const target: GitTarget = {
      url: server.url('big'),
      branch: 'main',
      path: OWNED,
      auth: { username: 'bench', password: 'bench-secret' },
      author: { name: 'Kure', email: 'kure@example.com' },
    };
    const desired = new Map(ownedFiles());
    let caches = 0;
    const coldSync = async (): Promise<number> => {
      const sink = new GitSink({ cacheDir: path.join(tmp, `cache-${++caches}`) });
      const [ms, res] = await timed(() => sink.sync(target, desired, 'nothing'));
      if (res.changed) throw new Error('cold sync should find nothing to change');
      return ms;
    };
    let clones = 0;
    const gitClone = async (): Promise<number> => {
      const dir = path.join(tmp, `clone-${++clones}`);
      const [ms] = await timed(() => gitCliAsync(['clone', '--no-checkout', '--quiet', server.authUrl('big'), dir]));
      fs.rmSync(dir, { recursive: true, force: true });
      return ms;
    };

    // Cold, interleaved: clone, sink (partial clones allowed), sink (not allowed).
    const clone: number[] = [];
    const coldFilter: number[] = [];
    const coldFull: number[] = [];
    for (let i = 0; i < 3; i++) {
      clone.push(await gitClone());
      gitCli(['--git-dir', gitdir, 'config', 'uploadpack.allowFilter', 'true']);
      coldFilter.push(await coldSync());
      gitCli(['--git-dir', gitdir, 'config', 'uploadpack.allowFilter', 'false']);
      coldFull.push(await coldSync());
    }
    gitCli(['--git-dir', gitdir, 'config', 'uploadpack.allowFilter', 'true']);

    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    await sink.sync(target, desired, 'nothing');
    const [noChangeMs] = await timed(() => sink.sync(target, desired, 'nothing'));

    // One-file commits: the sink on `big`, git on a clone of `big-git` with its work tree.
    const work = path.join(tmp, 'work');
    await gitCliAsync(['clone', '--quiet', server.authUrl('big-git'), work]);
    const sinkOne: number[] = [];
    const gitAddCommit: number[] = [];
    const gitPush: number[] = [];
    for (let rev = 1; rev <= 7; rev++) {
      const app = (rev * 97) % (OWNED_FILES / 20);
      const file = `apps/app-${app}/file-3.yaml`;
      desired.set(file, ownedContent(app, 3, rev));
      const [ms, res] = await timed(() => sink.sync(target, desired, (paths) => `kure: update production (${paths.join(', ')})`));
      if (!res.changed || res.changedPaths.length !== 1) throw new Error('expected a one-file commit');
      sinkOne.push(ms);

      fs.writeFileSync(path.join(work, OWNED, file), ownedContent(app, 3, rev));
      const [addCommit] = await timed(async () => {
        await gitCliAsync(['add', `${OWNED}/${file}`], { cwd: work });
        await gitCliAsync(['commit', '--quiet', '-m', `update ${file}`], { cwd: work });
      });
      gitAddCommit.push(addCommit);
      gitPush.push((await timed(() => gitCliAsync(['push', '--quiet', 'origin', 'main'], { cwd: work })))[0]);
    }
    const check = gitCli(['--git-dir', gitdir, 'diff', '--name-only', 'main~1', 'main']).trim();
    if (!check.startsWith(`${OWNED}/apps/`) || check.includes('\n')) throw new Error(`unexpected last commit: ${check}`);

    // Someone else pushed meanwhile (outside the path): one shallow fetch, then the commit.
    const foreign = gitCli(['--git-dir', gitdir, 'commit-tree', '-m', 'foreign', '-p', 'main', 'main^{tree}']).trim();
    gitCli(['--git-dir', gitdir, 'update-ref', 'refs/heads/main', foreign]);
    desired.set('apps/app-1/file-1.yaml', ownedContent(1, 1, 99));
    const [afterForeignPushMs] = await timed(() => sink.sync(target, desired, 'after foreign push'));
    if (gitCli(['--git-dir', gitdir, 'rev-parse', 'main~1']).trim() !== foreign) throw new Error('foreign commit lost');

    // The cache over many commits.
    const cacheDir = path.join(tmp, 'cache-many');
    const many = new GitSink({ cacheDir });
    const sizes: Record<string, number> = {};
    const each: number[] = [];
    const [manyMs] = await timed(async () => {
      for (let c = 1; c <= CACHE_COMMITS; c++) {
        const app = c % (OWNED_FILES / 20);
        desired.set(`apps/app-${app}/file-7.yaml`, ownedContent(app, 7, 1000 + c));
        const [ms, res] = await timed(() => many.sync(target, desired, `commit ${c}`));
        each.push(ms);
        if (!res.changed) throw new Error('expected a commit');
        if ([1, 10, 100, 1000, CACHE_COMMITS].includes(c)) {
          const s = dirSize(cacheDir);
          sizes[`cache_after_${c}_commits_mb`] = s.mb;
          sizes[`cache_after_${c}_commits_files`] = s.files;
        }
      }
    });

    const cloneMs = median(clone);
    const addCommitMs = median(gitAddCommit);
    return {
      files: TOTAL_FILES,
      ownedFiles: OWNED_FILES,
      seedMs: round(seedMs),
      git_clone_no_checkout_ms: round(cloneMs),
      cold_sync_ms: round(median(coldFilter)),
      cold_sync_ratio: ratio(median(coldFilter), cloneMs),
      cold_sync_no_filter_ms: round(median(coldFull)),
      cold_sync_no_filter_ratio: ratio(median(coldFull), cloneMs),
      no_change_ms: round(noChangeMs),
      one_file_sync_ms: round(median(sinkOne)),
      one_file_sync_max_ms: round(Math.max(...sinkOne)),
      git_add_commit_ms: round(addCommitMs),
      git_push_ms: round(median(gitPush)),
      one_file_ratio: ratio(median(sinkOne), addCommitMs),
      one_file_ratio_with_push: ratio(median(sinkOne), addCommitMs + median(gitPush)),
      after_foreign_push_ms: round(afterForeignPushMs),
      cache_commits: CACHE_COMMITS,
      cache_commit_mean_ms: round(manyMs / CACHE_COMMITS),
      // The commits that compact the cache (every MAX_PACKS) are the slow ones.
      cache_commit_p99_ms: round(percentile([...each].sort((a, b) => a - b), 99)),
      cache_commit_max_ms: round(Math.max(...each)),
      ...sizes,
    };
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchGitCommit(), null, 2));
}
