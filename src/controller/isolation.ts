// Failure stays where it starts: when a cluster cannot be rendered only because of problems inside
// some bundles or nodes (an application attached from a namespace its bundle does not admit is
// already left out by assemble; this covers the rest: a dependsOn typo, an invalid application, an
// output that fails its schema, a bundle or node deleted while objects still hang under it), those
// bundles and nodes are held back at their last good state and every other bundle renders and
// pushes as usual. Pure: the reconciler keeps the last model it pushed and asks here.
import { DEFAULTS } from '../model/assemble.js';
import { cmp, formatRefKey, refKey } from '../model/problems.js';
import type { BundleModel, ClusterModel, NodeModel, ObjectRef, Problem } from '../model/types.js';
import { allBundles, allNodes, bundleDir } from '../render/layout.js';

export interface Isolation {
  /** The model with each held-back bundle and node replaced by its last good version. */
  model: ClusterModel;
  /** refKey of each held-back bundle or node → the problems that hold it back. */
  heldBack: Map<string, Problem[]>;
  /** The held-back ones new since the last push: Git holds nothing of them, so nothing is rendered. */
  notInGit: Set<string>;
  /** The held-back bundles rendered as stubs, their files kept as the branch has them (isolateOnBranch). */
  stubs?: ReadonlySet<string>;
}

const byName = <T extends { name: string }>(a: T, b: T): number => cmp(a.name, b.name);
const under = (path: readonly string[], prefix: readonly string[]): boolean => prefix.length <= path.length && prefix.every((p, i) => path[i] === p);

/**
 * The model to render with the bundles and nodes that have problems held back, or a reason why the
 * cluster cannot be isolated: a problem outside any bundle or node (the cluster's own), or no last
 * pushed model (this process has not pushed the cluster yet: what Git holds is unknown). A bundle or
 * node new since the last push is held back at what Git holds of it: nothing.
 * `scopeOf` names the bundle or node (refKey) a problem's object belongs to: a bundle or node
 * itself, or an application's bundle (which may be deleted). A held-back node keeps its whole
 * subtree as it was; a held-back bundle whose node is gone keeps that node's last version.
 */
export function isolate(
  model: ClusterModel,
  blocking: readonly Problem[],
  scopeOf: (p: Problem) => string | undefined,
  last: ClusterModel | undefined,
): Isolation | { reason: string } {
  const heldBack = byScope(blocking, scopeOf, () => true, 'a bundle or node');
  if ('reason' in heldBack) return heldBack;
  const lastAll = last ? allNodes(last) : [];
  const lastBundles = new Map(last ? allBundles(last).map((b) => [refKey(b.ref), b]) : []);
  const lastNodes = new Map(lastAll.map((n) => [refKey(n.ref), n]));
  const keptBundles: BundleModel[] = [];
  const keptNodes: NodeModel[] = [];
  /** Held back at "not in Git": new since the last push, so Git has nothing of them to keep. */
  const absent = new Set<string>();
  for (const scope of heldBack.keys()) {
    const bundle = lastBundles.get(scope);
    const node = lastNodes.get(scope);
    if (bundle) keptBundles.push(bundle);
    else if (node) keptNodes.push(node);
    else if (last) absent.add(scope);
    else return { reason: `${formatRefKey(scope)} has no last good state to keep (none is known before the first push of this process)` };
  }
  const keptRefs = new Set([...keptBundles.map((b) => refKey(b.ref)), ...absent]);
  const keptPaths = [...keptNodes.map((n) => n.path), ...allNodes(model).filter((n) => absent.has(refKey(n.ref))).map((n) => n.path)];
  const nodes = graft(
    model.nodes,
    (b) => keptRefs.has(refKey(b.ref)) || keptPaths.some((p) => under(b.nodePath, p)),
    (n) => keptPaths.some((p) => under(n.path, p)),
    [...keptBundles, ...keptNodes.flatMap((n) => allBundles({ nodes: [n] }))],
    [...keptNodes.flatMap((n) => allNodes({ nodes: [n] }))],
    new Map(lastAll.map((n) => [n.path.join('/'), n])),
  );
  return { model: { ...model, nodes }, heldBack, notInGit: absent };
}

/** The blocking problems by the scope (refKey) that holds each back, or the first that has none `accepts`. */
function byScope(
  blocking: readonly Problem[],
  scopeOf: (p: Problem) => string | undefined,
  accepts: (scope: string) => boolean,
  what: string,
): Map<string, Problem[]> | { reason: string } {
  const heldBack = new Map<string, Problem[]>();
  for (const p of blocking) {
    const scope = scopeOf(p);
    if (!scope || !accepts(scope)) return { reason: `${p.ref.kind} ${p.ref.namespace}/${p.ref.name} is not inside ${what}` };
    heldBack.set(scope, [...(heldBack.get(scope) ?? []), p]);
  }
  return heldBack;
}

interface Draft {
  base: NodeModel;
  bundles: BundleModel[];
  children: Map<string, Draft>;
}

/**
 * `nodes` without the dropped bundles and nodes, with `addNodes` and `addBundles` put in (their
 * node paths made from `lastByPath` where the current tree lacks them), sorted as assemble sorts.
 */
function graft(
  nodes: readonly NodeModel[],
  dropBundle: (b: BundleModel) => boolean,
  dropNode: (n: NodeModel) => boolean,
  addBundles: readonly BundleModel[],
  addNodes: readonly NodeModel[],
  lastByPath: ReadonlyMap<string, NodeModel>,
): NodeModel[] {
  const draft = (n: NodeModel): Draft => ({
    base: n,
    bundles: n.bundles.filter((b) => !dropBundle(b)),
    children: new Map(n.children.filter((c) => !dropNode(c)).map((c) => [c.name, draft(c)])),
  });
  const roots = new Map(nodes.filter((n) => !dropNode(n)).map((n) => [n.name, draft(n)]));
  const at = (path: readonly string[]): Draft => {
    let level = roots;
    let d: Draft | undefined;
    for (let i = 0; i < path.length; i++) {
      d = level.get(path[i] as string);
      if (!d) {
        const base = lastByPath.get(path.slice(0, i + 1).join('/')) as NodeModel;
        level.set(path[i] as string, (d = { base, bundles: [], children: new Map() }));
      }
      level = d.children;
    }
    return d as Draft;
  };
  for (const n of addNodes) at(n.path);
  for (const b of addBundles) at(b.nodePath).bundles.push(b);
  const done = (d: Draft): NodeModel => ({ ...d.base, bundles: d.bundles.sort(byName), children: [...d.children.values()].map(done).sort(byName) });
  return [...roots.values()].map(done).sort(byName);
}

/**
 * Isolation with no last pushed model (the first reconcile after a restart): each held-back bundle
 * is rendered as a stub (its place in the layout: the engine's file for it and its directory, no
 * applications), and the files the stub owns, and everything in its directory, are kept as the
 * branch has them (`keptPaths`, for the sink, which reads them at the head it builds on; where the
 * branch has none, as for a bundle Git never held, the stub's empty files go in). Only bundles can
 * be stubbed: a node's own problem holds the cluster. `placeOf` gives the node path a bundle hangs
 * under (through deleted or deleting nodes, which get empty stand-ins: their bundles' files are kept).
 */
export function isolateOnBranch(
  model: ClusterModel,
  blocking: readonly Problem[],
  scopeOf: (p: Problem) => string | undefined,
  placeOf: (bundle: string) => string[] | undefined,
): Isolation | { reason: string } {
  const heldBack = byScope(blocking, scopeOf, (s) => s.startsWith('KureBundle/'), 'a bundle (after a restart only bundles can be read back from the branch)');
  if ('reason' in heldBack) return heldBack;
  const current = new Map(allBundles(model).map((b) => [refKey(b.ref), b]));
  const stubs: BundleModel[] = [];
  /** Nodes on a stub's path the model lacks (deleted or deleting, with the stub under them): empty stand-ins. */
  const standIns = new Map<string, NodeModel>();
  for (const scope of heldBack.keys()) {
    const now = current.get(scope);
    const [, namespace = '', name = ''] = scope.split('/');
    const nodePath = now?.nodePath ?? placeOf(scope);
    if (!nodePath) return { reason: `the place of ${formatRefKey(scope)} in the cluster is not known` };
    for (let i = 1; i <= nodePath.length; i++) {
      const path = nodePath.slice(0, i);
      const at = path.join('/');
      if (!standIns.has(at)) standIns.set(at, { ref: { kind: 'KureNode', namespace, name: path[i - 1] as string }, name: path[i - 1] as string, path, children: [], bundles: [] });
    }
    const base: BundleModel = now ?? { ref: { kind: 'KureBundle', namespace, name }, name, nodePath, dependsOn: [], interval: DEFAULTS.interval, prune: true, wait: false, suspend: false, applications: [] };
    // No dependsOn: what the stub would say is kept from Git, and a cycle or typo must not reach render.
    stubs.push({ ...base, dependsOn: [], applications: [] });
  }
  const refs = new Set(heldBack.keys());
  const out = graft(model.nodes, (b) => refs.has(refKey(b.ref)), () => false, stubs, [], standIns);
  return { model: { ...model, nodes: out }, heldBack, notInGit: new Set(), stubs: refs };
}

/** The paths a stubbed bundle owns in the rendered tree, and its directory: kept as the branch has them. */
export function keptPaths(model: ClusterModel, stubs: ReadonlySet<string>, owners: ReadonlyMap<string, ObjectRef>): (path: string) => boolean {
  const exact = new Set<string>();
  for (const [path, owner] of owners) if (stubs.has(refKey(owner))) exact.add(path);
  const dirs = allBundles(model).filter((b) => stubs.has(refKey(b.ref))).map((b) => `${bundleDir(b)}/`);
  return (path) => exact.has(path) || dirs.some((d) => path.startsWith(d));
}
