// `kure render`, `kure validate` and `kure diff`: files in, validated model, rendered trees out.
import { join } from 'node:path';
import { assemble } from '../model/assemble.js';
import { formatProblem } from '../model/problems.js';
import type { FileTree } from '../model/types.js';
import { render } from '../render/index.js';
import { readResources } from './read.js';
import type { Io } from './io.js';
import { readTree, writeTree } from './write-tree.js';

export type { Io } from './io.js';

export interface RenderedCluster {
  key: string;
  path: string;
  tree: FileTree;
}

/** Reads, assembles, validates and renders; prints every problem and returns undefined when invalid. */
export function renderInputs(files: string[], io: Io): RenderedCluster[] | undefined {
  // A command renders once: assemble() and render() use a Renderer without memos (renderer.ts).
  const input = readResources(files, io.stdin);
  for (const s of input.skipped) io.err(`warning: ${s}`);
  const result = assemble(input.resources);
  const lines = [...input.errors, ...result.problems.map(formatProblem)];
  if (result.clusters.length === 0 && lines.length === 0) lines.push('no KureCluster found in the input');
  if (lines.length > 0) {
    for (const line of lines) io.err(line);
    io.err(`${lines.length} problem${lines.length === 1 ? '' : 's'} found; nothing was written`);
    return undefined;
  }
  return result.clusters.map((c) => ({ key: c.key, path: c.model.repository.path, tree: render(c.model) }));
}

export async function runRender(files: string[], outDir: string, io: Io): Promise<number> {
  const clusters = renderInputs(files, io);
  if (!clusters) return 1;
  for (const c of clusters) {
    await writeTree(join(outDir, ...c.path.split('/')), c.tree);
    io.out(`${c.key}: wrote ${c.tree.size} files to ${join(outDir, c.path)}`);
  }
  return 0;
}

export function runValidate(files: string[], io: Io): number {
  const clusters = renderInputs(files, io);
  if (!clusters) return 1;
  for (const c of clusters) io.out(`${c.key}: valid (${c.tree.size} files)`);
  return 0;
}

/** Exit 0 when DIR already holds exactly what would be rendered, 3 when it differs. */
export function runDiff(files: string[], outDir: string, io: Io): number {
  const clusters = renderInputs(files, io);
  if (!clusters) return 1;
  let differs = false;
  for (const c of clusters) {
    const current = readTree(join(outDir, ...c.path.split('/')));
    const paths = [...new Set([...current.keys(), ...c.tree.keys()])].sort();
    for (const p of paths) {
      const before = current.get(p);
      const after = c.tree.get(p);
      if (before === after) continue;
      differs = true;
      io.out(`${before === undefined ? '+' : after === undefined ? '-' : '~'} ${c.path}/${p}`);
    }
  }
  return differs ? 3 : 0;
}
