// Whole-process measurements for benchmarks: wall time from spawn to exit, and the child's own peak
// RSS and CPU time (reported by rusage-hook.ts from inside the child when it exits).
import { execFileSync, spawn } from 'node:child_process';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOOK = fileURLToPath(new URL('./rusage-hook.js', import.meta.url));

export interface ProcessRun {
  wallMs: number;
  maxRssMb: number;
  cpuMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node <args>` with the rusage hook preloaded. */
export function runNode(args: string[], opts: { cwd?: string } = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', HOOK, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const usage: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => usage.push(d));
    child.on('error', reject);
    child.on('exit', () => {
      // Wall time ends when the process does, not when its pipes are drained.
      const wallMs = performance.now() - started;
      child.on('close', (code) => {
        const u = JSON.parse(Buffer.concat(usage).toString() || '{}') as { maxRssKb?: number; userMs?: number; systemMs?: number };
        resolve({
          wallMs,
          maxRssMb: (u.maxRssKb ?? NaN) / 1024,
          cpuMs: (u.userMs ?? NaN) + (u.systemMs ?? NaN),
          code,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
        });
      });
    });
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The p-th percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

/** The commit `branch` points at in a bare repository, '' when it has none yet. */
export function branchHead(gitdir: string, branch = 'main'): string {
  try {
    return readFileSync(path.join(gitdir, 'refs', 'heads', branch), 'utf8').trim();
  } catch {
    try {
      return execFileSync('git', ['--git-dir', gitdir, 'rev-parse', '-q', '--verify', `refs/heads/${branch}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return ''; // no commit yet
    }
  }
}

/** A RAM-backed scratch directory when there is one (output on tmpfs, as the targets say), else the OS temp dir. */
export function scratchDir(prefix: string): string {
  let base = os.tmpdir();
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    base = '/dev/shm';
  } catch {
    // no /dev/shm
  }
  return fs.mkdtempSync(`${base}/${prefix}`);
}

/** The Node flags a script's `#!/usr/bin/env -S node <flags>` line gives it, so that `node <flags> script` runs it as its bin does. */
export function shebangFlags(script: string): string[] {
  const first = fs.readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node\s+(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/) : [];
}
