// Picks the engine and sorts the tree. render() (index.ts) hands out a tree that was already checked
// when assemble() checked it; the output check (check.ts) renders through here with a collector.
import { cmp } from '../model/problems.js';
import type { ClusterModel, FileTree } from '../model/types.js';
import { renderArgo } from './argocd/index.js';
import { renderFlux } from './flux/index.js';
import type { Collect } from './objects.js';

export function renderTree(model: ClusterModel, collect?: Collect): FileTree {
  const tree = new Map<string, string>();
  switch (model.engine) {
    case 'flux':
      renderFlux(model, tree, collect);
      break;
    case 'argocd':
      renderArgo(model, tree, collect);
      break;
    default:
      throw new Error(`render: unknown engine ${JSON.stringify(model.engine as string)}`);
  }
  return new Map([...tree.entries()].sort(([a], [b]) => cmp(a, b)));
}
