// Which Kure resource each file of a rendered tree comes from, for commit provenance. The output
// check (check.ts) renders through a collector anyway and records the map for the tree it hands to
// render(); any other tree is rendered once more with a collector. Index files (kustomization.yaml)
// have no owner of their own: they change because a sibling did.
import type { ClusterModel, FileTree, ObjectRef } from '../model/types.js';
import { engineOf } from './engines.js';
import type { Collect } from './objects.js';

export type FileOwners = ReadonlyMap<string, ObjectRef>;

const recorded = new WeakMap<FileTree, FileOwners>();

/** check.ts: the owners collected while rendering `tree`. */
export function recordOwners(tree: FileTree, owners: FileOwners): void {
  recorded.set(tree, owners);
}

/**
 * File (relative to the cluster's path) → the resource that produced it, for a tree render(model)
 * returned. `renderTree` renders a tree that was not recorded (a Renderer passes its own).
 */
export function fileOwners(
  model: ClusterModel,
  tree?: FileTree,
  renderTree: (model: ClusterModel, collect: Collect) => FileTree = (m, collect) => engineOf(m).render(m, collect),
): FileOwners {
  const known = tree && recorded.get(tree);
  if (known) return known;
  const owners = new Map<string, ObjectRef>();
  renderTree(model, (file, _objects, owner) => owners.set(file, owner));
  return owners;
}
