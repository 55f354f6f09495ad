// Nothing invalid is committed: every generated object whose kind Kure has a schema for (the
// built-in kinds of the target Kubernetes, Flux and Argo CD) is checked against it before anything
// is written or pushed. A violation is a Problem on the Kure resource the object comes from, naming
// the object, its file and the field, so `kure render` and the controller report it the same way.
import { formatRef, problem, Reason } from '../model/problems.js';
import type { ApplicationModel, ClusterModel, FileTree, ObjectRef, Problem } from '../model/types.js';
import { allBundles } from './layout.js';
import { groupOf, KUBERNETES_VERSION, kindInfo, unservedVersion, validateObject, type SchemaError } from '../schemas/index.js';
import { joinPath, type Collect } from './objects.js';
import { recordOwners } from './owners.js';

const NONE: readonly SchemaError[] = Object.freeze([]);

function objectErrors(o: Record<string, unknown>): readonly SchemaError[] {
  // SOPS-encrypted objects are checked by the engine after decryption; their values are ciphertext.
  if (o.sops !== undefined) return NONE;
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const served = unservedVersion(apiVersion, kind);
  if (served !== undefined) {
    const info = kindInfo(groupOf(apiVersion), kind);
    const target = info?.source === 'kubernetes' ? `Kubernetes ${KUBERNETES_VERSION}` : 'the Flux and Argo CD versions Kure targets';
    const group = groupOf(apiVersion);
    return [{ field: 'apiVersion', message: `${apiVersion} is not served by ${target}; use ${served.map((v) => (group ? `${group}/${v}` : v)).join(' or ')}` }];
  }
  const errors = validateObject(o) ?? NONE;
  // Never echo a value of a Secret into a message (messages reach logs, events and status).
  if (kind === 'Secret' && errors.length > 0) return errors.map((e) => ({ field: e.field, message: e.message.replace(/ \(got .*\)$/s, '') }));
  return errors;
}

/** Object lists in which no object had an error: an application's file from the render memo is the same list again, checked once. */
const clean = new WeakSet<readonly unknown[]>();

/** Checks an object, or each item of a List (kustomize expands them), reporting each error. */
function checkUnit(o: Record<string, unknown>, field: string, report: (o: Record<string, unknown>, field: string, e: SchemaError) => void): void {
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
    o.items.forEach((item, j) => {
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) checkUnit(item as Record<string, unknown>, `${field}.items[${j}]`, report);
    });
    return;
  }
  const errors = objectErrors(o);
  for (const e of errors) report(o, field, e);
}

const labelOf = (o: Record<string, unknown>): string => `${String(o.kind)} ${String(((o.metadata ?? {}) as Record<string, unknown>).name)}`;

/** Trees checked by checkCluster, handed out by render() so that the check is not paid twice. */
const checkedTrees = new WeakMap<ClusterModel, FileTree>();

/** Checks that assemble() registered and that have not run yet (they run on first use). */
const pending = new WeakMap<ClusterModel, () => void>();

/** assemble() defers the check of a cluster until its problems are read or it is rendered. */
export function deferCheck(model: ClusterModel, run: () => void): void {
  pending.set(model, run);
}

/**
 * The tree of a model that checkCluster has checked, running a deferred check first. Handed out
 * once (the cache lets go of it); a later render of the same model renders again, from the memos.
 */
export function checkedTree(model: ClusterModel): FileTree | undefined {
  const run = pending.get(model);
  if (run) {
    pending.delete(model);
    run();
  }
  const tree = checkedTrees.get(model);
  checkedTrees.delete(model);
  return tree;
}

export interface ClusterCheck {
  problems: Problem[];
}

/** How checkCluster renders: a Renderer's renderTree (renderer.ts), with its memos. */
export type RenderTree = (model: ClusterModel, collect: Collect) => FileTree;

/**
 * Renders the cluster and checks every generated object. Objects of applications for which
 * `leaveOut(app)` says so (tenants: they must not block the platform) are not reported as blocking:
 * the application is taken out of the model (problems marked `leftOut`) and the rest is rendered
 * again. The final tree is kept for render(). `renderTree` is the renderer's (its memos make the
 * check of a re-render cheap).
 */
export function checkCluster(model: ClusterModel, leaveOut: (app: ObjectRef) => boolean, renderTree: RenderTree): ClusterCheck {
  pending.delete(model);
  const problems: Problem[] = [];
  for (;;) {
    const found: { owner: ObjectRef; field: string; message: string }[] = [];
    const owners = new Map<string, ObjectRef>();
    const tree = renderTree(model, (file, objects, owner, fields) => {
      owners.set(file, owner);
      if (clean.has(objects)) return;
      const before = found.length;
      const report = (o: Record<string, unknown>, field: string, e: SchemaError) =>
        found.push({ owner, field, message: `${labelOf(o)} (${joinPath(model.repository.path, file)}): ${e.field}: ${e.message}` });
      for (let i = 0; i < objects.length; i++)
        checkUnit(objects[i] as Record<string, unknown>, typeof fields === 'string' ? fields : (fields[i] ?? 'spec'), report);
      if (found.length === before) clean.add(objects);
    });
    const out = new Set<string>();
    for (const f of found) {
      const left = f.owner.kind === 'KureApplication' && leaveOut(f.owner);
      if (left) out.add(formatRef(f.owner));
      problems.push({ ...problem(f.owner, f.field, f.message, Reason.InvalidSpec), ...(left ? { leftOut: true } : {}) });
    }
    if (out.size === 0) {
      checkedTrees.set(model, tree);
      recordOwners(tree, owners);
      return { problems };
    }
    for (const b of allBundles(model)) b.applications = b.applications.filter((a: ApplicationModel) => !out.has(formatRef(a.ref)));
    // The next round renders without them; the other findings of this round are found again there
    // (files without findings are not walked again).
    const kept = problems.filter((p) => p.leftOut);
    problems.length = 0;
    problems.push(...kept);
  }
}
