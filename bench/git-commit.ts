// Benchmark: commit + push a one-file change into a repository of 50,000 files (target < 1 s),
// through the real Git sink against the real test Git server (git http-backend on loopback).
//
//   benchGitCommit() → { files, ownedFiles, seedMs, coldSyncMs, noChangeMs, oneFileMs, oneFileMaxMs, afterForeignPushMs }
//
// Run alone: `node bench/git-commit.ts` (Node 24 strips the types) or via bench/run.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GitSink, type GitTarget } from '../src/git/index.js';
import { gitCli, seedCommit, startGitServer } from '../test/support/git-server.js';

const TOTAL_FILES = 50_000;
const OWNED_FILES = 10_000; // under clusters/production: 500 applications × 20 files
const OWNED = 'clusters/production';

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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number): number => Math.round(x * 10) / 10;

export async function benchGitCommit(): Promise<Record<string, number>> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-bench-git-'));
  const server = await startGitServer({ username: 'bench', password: 'bench-secret', root: path.join(tmp, 'server') });
  fs.mkdirSync(server.root, { recursive: true });
  try {
    let t = performance.now();
    const gitdir = server.createRepo('big');
    seedCommit(gitdir, 'main', allFiles(), 'seed 50,000 files');
    gitCli(['--git-dir', gitdir, 'repack', '-adq']); // one pack, like a real hosted repository
    const seedMs = performance.now() - t;

    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const target: GitTarget = {
      url: server.url('big'),
      branch: 'main',
      path: OWNED,
      auth: { username: 'bench', password: 'bench-secret' },
      author: { name: 'Kure', email: 'kure@example.com' },
    };
    const desired = new Map(ownedFiles());

    // Cold: shallow clone of 50,000 files, load the owned subtree's trees, hash 10,000 files.
    t = performance.now();
    const cold = await sink.sync(target, desired, 'nothing');
    const coldSyncMs = performance.now() - t;
    if (cold.changed) throw new Error('cold sync should find nothing to change');

    t = performance.now();
    await sink.sync(target, desired, 'nothing');
    const noChangeMs = performance.now() - t;

    // Warm: one-file changes.
    const times: number[] = [];
    for (let rev = 1; rev <= 7; rev++) {
      const app = (rev * 97) % (OWNED_FILES / 20);
      desired.set(`apps/app-${app}/file-3.yaml`, ownedContent(app, 3, rev));
      t = performance.now();
      const res = await sink.sync(target, desired, (paths) => `kure: update production (${paths.join(', ')})`);
      times.push(performance.now() - t);
      if (!res.changed || res.changedPaths.length !== 1) throw new Error('expected a one-file commit');
    }
    const check = gitCli(['--git-dir', gitdir, 'diff', '--name-only', 'main~1', 'main']).trim();
    if (!check.startsWith(`${OWNED}/apps/`) || check.includes('\n')) throw new Error(`unexpected last commit: ${check}`);

    // Someone else pushed meanwhile (outside the path): one shallow fetch, then the commit.
    const foreign = gitCli(['--git-dir', gitdir, 'commit-tree', '-m', 'foreign', '-p', 'main', 'main^{tree}']).trim();
    gitCli(['--git-dir', gitdir, 'update-ref', 'refs/heads/main', foreign]);
    desired.set('apps/app-1/file-1.yaml', ownedContent(1, 1, 99));
    t = performance.now();
    await sink.sync(target, desired, 'after foreign push');
    const afterForeignPushMs = performance.now() - t;
    if (gitCli(['--git-dir', gitdir, 'rev-parse', 'main~1']).trim() !== foreign) throw new Error('foreign commit lost');

    return {
      files: Number(gitCli(['--git-dir', gitdir, 'ls-tree', '-r', 'main']).split('\n').filter(Boolean).length),
      ownedFiles: OWNED_FILES,
      seedMs: round(seedMs),
      coldSyncMs: round(coldSyncMs),
      noChangeMs: round(noChangeMs),
      oneFileMs: round(median(times)),
      oneFileMaxMs: round(Math.max(...times)),
      afterForeignPushMs: round(afterForeignPushMs),
    };
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchGitCommit(), null, 2));
}
