// The engine interface: each GitOps engine (Flux, Argo CD) is one module that owns the rules only it
// has (validate) and its output (render). assemble() asks the cluster's engine to validate the model,
// so render never re-checks a model and never throws on one that validated.
import type { ClusterModel, EngineName, FileTree, Problem } from '../model/types.js';
import { problem, Reason } from '../model/problems.js';
import { allBundles } from './layout.js';
import { sortedTree, type Collect } from './objects.js';

export interface Engine {
  readonly name: EngineName;
  /** The engine's own rules on an assembled model (what it cannot deliver), one Problem per violation. */
  validate(model: ClusterModel): Problem[];
  /**
   * The cluster's files, sorted by path. `collect` sees every generated object with its file and
   * the Kure resource it comes from (the output schema check and file owners use it).
   */
  render(model: ClusterModel, collect?: Collect): FileTree;
}

/**
 * A bundle named like the object bootstrap writes beside the bundles (`reserved`: Flux's
 * Kustomization of the source, Argo CD's root Application) would collide with it.
 */
export function bootstrapCollisions(model: ClusterModel, reserved: string): Problem[] {
  if (!model.bootstrap) return [];
  return allBundles(model)
    .filter((b) => b.name === reserved)
    .map((b) => problem(b.ref, 'metadata.name', `collides with the bootstrap object ${reserved} of cluster ${model.name}; rename the bundle`, Reason.Duplicate));
}

/** An engine from its rules and a writer of its files: the tree it hands out is always sorted by path. */
export function defineEngine(
  name: EngineName,
  validate: (model: ClusterModel) => Problem[],
  write: (model: ClusterModel, tree: Map<string, string>, collect?: Collect) => void,
): Engine {
  return {
    name,
    validate,
    render(model, collect) {
      const tree = new Map<string, string>();
      write(model, tree, collect);
      return sortedTree(tree);
    },
  };
}
