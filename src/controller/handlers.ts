// Event handlers, after controller-runtime's pkg/handler: pure functions from a watch event to the
// requests it causes, mapping both the old and the new object. They read the fleet index (already
// updated with the event) and never the reconciler.
import type { KureResource } from '../api/schema.js';
import { isDeleting, parentKeyOf, splitClusterKey, type ClusterKey, type FleetIndex } from '../model/fleet-index.js';
import { refKey, refOf } from '../model/problems.js';
import { inUseDue } from './finalizer.js';
import type { EventType } from './informers.js';
import type { ClusterRequest, ObjectRequest } from './reconcile.js';

/** Flux's convention: a new value asks for a reconcile now (echoed in status.lastHandledReconcileAt). */
export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

export interface KureEvent {
  type: EventType;
  obj: KureResource;
  /** The previous version (updates and deletes as the informer saw them). */
  old?: KureResource;
  /**
   * The cluster the previous version reached before the index took the event in: after it, the
   * last object under a deleted bundle, itself deleted, reaches none (its tombstone is released).
   */
  reached?: ClusterKey;
}

/**
 * Whether an update deserves a reconcile: its spec (generation) or deletion changed, a cluster's
 * finalizer or labels changed, or someone asked (reconcile.fluxcd.io/requestedAt). Status-only writes,
 * Kure's own included, do not.
 */
export function isRelevant({ type, obj, old }: KureEvent): boolean {
  if (type !== 'update' || !old) return true;
  if (obj.metadata.generation === undefined || old.metadata.generation === undefined) return true;
  return (
    obj.metadata.generation !== old.metadata.generation ||
    obj.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
    obj.metadata.annotations?.[REQUESTED_AT] !== old.metadata.annotations?.[REQUESTED_AT] ||
    // A cluster's labels choose its shard (--shard-selector): relabelled, another instance may own it now.
    (obj.kind === 'KureCluster' && JSON.stringify(obj.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {})) ||
    (obj.kind === 'KureCluster' && !(obj.metadata.finalizers ?? []).length && (old.metadata.finalizers ?? []).length > 0)
  );
}

const toRequest = (key: ClusterKey): ClusterRequest => splitClusterKey(key);

/** The clusters an event touches: the one the object reaches now, and the one its old version reached. */
export function clusterRequests(index: Pick<FleetIndex, 'clusterOf'>, e: KureEvent): ClusterRequest[] {
  if (!isRelevant(e)) return [];
  const keys = new Set<ClusterKey>();
  for (const o of [e.obj, e.old]) {
    const k = o && index.clusterOf(o);
    if (k) keys.add(k);
  }
  if (e.reached) keys.add(e.reached);
  return [...keys].map(toRequest);
}

/**
 * Objects whose status may now say "reaches no cluster" (or must stop saying it): those of the
 * changed object's subtree that reach no existing KureCluster. A deleted bundle detaches its
 * applications; a deleted cluster its whole tree.
 */
export function detachedRequests(index: Pick<FleetIndex, 'subtree' | 'clusterOf'>, e: KureEvent): ObjectRequest[] {
  if (!isRelevant(e)) return [];
  const out: ObjectRequest[] = [];
  // The index already holds the event (the object itself, unless deleted, is in its own subtree).
  for (const o of index.subtree(refKey(refOf(e.obj)))) {
    if (index.clusterOf(o) === undefined) out.push({ kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name });
  }
  return out;
}

/**
 * The nodes and bundles whose finalizer kure.dev/in-use may need a change: the object itself when
 * it is a live one without it or a deleting one with it, and the node or bundle its old version
 * named when it names another now or is gone (the last object under a deleting one releases it).
 */
export function inUseRequests(e: KureEvent): ObjectRequest[] {
  const out: ObjectRequest[] = [];
  const { obj, old } = e;
  if (e.type !== 'delete' && inUseDue(obj)) {
    out.push({ kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });
  }
  const before = old ?? (e.type === 'delete' ? obj : undefined);
  const was = before && parentKeyOf(before);
  if (was && !was.startsWith('KureCluster/') && (e.type === 'delete' || isDeleting(obj) || parentKeyOf(obj) !== was)) out.push(objectCodec.parse(was));
  return out;
}

/** The clusters that reference a Secret (its credentials changed, appeared or went away). */
export function secretRequests(index: Pick<FleetIndex, 'clustersReferencingSecret'>, namespace: string, name: string): ClusterRequest[] {
  return index.clustersReferencingSecret(namespace, name).map(toRequest);
}

export const clusterCodec = {
  key: (r: ClusterRequest): string => `${r.namespace}/${r.name}`,
  parse: (key: string): ClusterRequest => splitClusterKey(key),
};

export const objectCodec = {
  key: (r: ObjectRequest): string => `${r.kind}/${r.namespace}/${r.name}`,
  parse: (key: string): ObjectRequest => {
    const [kind, namespace, ...rest] = key.split('/');
    return { kind: kind as ObjectRequest['kind'], namespace: namespace ?? '', name: rest.join('/') };
  },
};
