// Failure stays where it starts: when a cluster cannot be rendered only because of problems inside
// some bundles (an application attached from a namespace its bundle does not admit is already left
// out by assemble; this covers the rest: a dependsOn typo, an invalid application, an output that
// fails its schema), those bundles are held back at their last good state and every other bundle
// renders and pushes as usual. Pure: the reconciler keeps the last good bundles and asks here.
import { formatRefKey, refKey } from '../model/problems.js';
import type { BundleModel, ClusterModel, NodeModel, Problem } from '../model/types.js';

/** Every bundle of a model, depth first. */
export function* bundlesOf(model: Pick<ClusterModel, 'nodes'>): Generator<BundleModel> {
  const walk = function* (nodes: readonly NodeModel[]): Generator<BundleModel> {
    for (const n of nodes) {
      yield* n.bundles;
      yield* walk(n.children);
    }
  };
  yield* walk(model.nodes);
}

export interface Isolation {
  /** The model with each held-back bundle replaced by its last good version. */
  model: ClusterModel;
  /** refKey of each held-back bundle → the problems that hold it back. */
  heldBack: Map<string, Problem[]>;
}

/**
 * The model to render with the bundles that have problems held back, or a reason why the cluster
 * cannot be isolated: a problem outside any bundle (the cluster, a node), or a bundle with no last
 * good version (new, or this process has not rendered it yet: nothing to keep), or whose node is gone.
 * `bundleOf` names the bundle (refKey) a problem's object belongs to: itself, or an application's.
 */
export function isolate(
  model: ClusterModel,
  blocking: readonly Problem[],
  bundleOf: (p: Problem) => string | undefined,
  lastGood: ReadonlyMap<string, BundleModel> | undefined,
): Isolation | { reason: string } {
  const heldBack = new Map<string, Problem[]>();
  for (const p of blocking) {
    const b = bundleOf(p);
    if (!b) return { reason: `${p.ref.kind} ${p.ref.namespace}/${p.ref.name} is not inside a bundle` };
    heldBack.set(b, [...(heldBack.get(b) ?? []), p]);
  }
  const replacements = new Map<string, BundleModel>();
  for (const b of heldBack.keys()) {
    const good = lastGood?.get(b);
    if (!good) return { reason: `${formatRefKey(b)} has no last good state to keep` };
    replacements.set(b, good);
  }
  let placed = 0;
  const rebuild = (n: NodeModel): NodeModel => {
    const here = [...replacements.values()].filter((g) => g.nodePath.join('/') === n.path.join('/'));
    placed += here.length;
    const bundles = [...n.bundles.filter((b) => !replacements.has(refKey(b.ref))), ...here].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { ...n, bundles, children: n.children.map(rebuild) };
  };
  const nodes = model.nodes.map(rebuild);
  if (placed !== replacements.size) return { reason: 'the node of a held-back bundle is gone' };
  return { model: { ...model, nodes }, heldBack };
}
