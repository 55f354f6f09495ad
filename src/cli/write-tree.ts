// The directory sink of `kure render`: replaces DIR/<repository.path> with the rendered tree.
// Each cluster's tree is written to a temporary sibling first and swapped in with renames, so a
// failure part-way leaves the previous output intact and no stale files survive.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { FileTree } from '../model/types.js';

export async function writeTree(dir: string, tree: FileTree): Promise<void> {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const staging = `${dir}.kure-tmp-${process.pid}`;
  const old = `${dir}.kure-old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    // Each directory once, parents first (a parent sorts before its children), then the files.
    const dirs = new Set<string>();
    for (const path of tree.keys()) {
      for (let d = parentOf(path); d !== '' && !dirs.has(d); d = parentOf(d)) dirs.add(d);
    }
    mkdirSync(staging);
    for (const d of [...dirs].sort()) mkdirSync(join(staging, ...d.split('/')));
    // Synchronous on purpose: on tmpfs or a page cache a write is a few microseconds of CPU, and
    // the thread pool's hand-offs cost more than they overlap (docs/performance.md).
    // Tree paths are relative and '/'-separated, as rendered: on POSIX the file name is a
    // concatenation (path.join per file only normalised them, 12,000 times).
    const prefix = staging + sep;
    if (sep === '/') for (const [path, content] of tree) writeFileSync(prefix + path, content);
    else for (const [path, content] of tree) writeFileSync(join(staging, ...path.split('/')), content);
    const existed = exists(dir);
    if (existed) renameSync(dir, old);
    renameSync(staging, dir);
    if (existed) rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

const parentOf = (p: string): string => {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
};

/** Reads a directory back into a FileTree (for `kure diff`). Missing directory → empty tree. */
export function readTree(dir: string): FileTree {
  const tree: FileTree = new Map();
  if (!exists(dir)) return tree;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else tree.set(relative(dir, p).split(sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return tree;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
