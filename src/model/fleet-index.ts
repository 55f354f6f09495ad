// An index of the Kure hierarchy beside assemble(): each object's parent, the cluster an object
// reaches, the objects that make up one cluster, the clusters that reference a Secret. It is
// updated one object at a time (from watch events), so routing an event and gathering one
// cluster's input cost that cluster, not the fleet. assemble() stays the one judge of validity:
// the index follows references as written (malformed objects included) and never reports problems.
import type { KureCluster, KureKind, KureResource } from '../api/schema.js';
import { refKey, refOf } from './problems.js';
import type { ObjectRef } from './types.js';

/** `<namespace>/<name>` of a KureCluster: the key of everything per cluster. */
export type ClusterKey = string;

export const clusterKeyOf = (namespace: string, name: string): ClusterKey => `${namespace}/${name}`;

export function splitClusterKey(key: ClusterKey): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The refKey of the object `r` hangs under, from its own spec: an application's bundle, a bundle's
 * node, a node's cluster (clusterRef wins, as in assemble) or parent node. undefined for a cluster
 * or an object with no usable reference.
 */
export function parentKeyOf(r: KureResource): string | undefined {
  const ns = r.metadata.namespace ?? '';
  // Read defensively: a malformed object's spec may hold anything.
  type Ref = { name?: unknown; namespace?: unknown } | undefined;
  const spec = (r.spec ?? {}) as { bundleRef?: Ref; nodeRef?: Ref; clusterRef?: Ref; parentRef?: Ref };
  switch (r.kind) {
    case 'KureApplication': {
      const name = str(spec.bundleRef?.name);
      return name && `KureBundle/${str(spec.bundleRef?.namespace) ?? ns}/${name}`;
    }
    case 'KureBundle': {
      const name = str(spec.nodeRef?.name);
      return name && `KureNode/${ns}/${name}`;
    }
    case 'KureNode': {
      if (spec.clusterRef) {
        const name = str(spec.clusterRef.name);
        return name && `KureCluster/${ns}/${name}`;
      }
      const name = str(spec.parentRef?.name);
      return name && `KureNode/${ns}/${name}`;
    }
    default:
      return undefined;
  }
}

/** Secrets `<namespace>/<name>` a cluster names: repository.secretRef, gitops.kubeconfigSecretRef. */
function secretKeysOf(c: KureResource): string[] {
  if (c.kind !== 'KureCluster') return [];
  const spec = (c as KureCluster).spec;
  const names = [str(spec?.repository?.secretRef?.name), str(spec?.gitops?.kubeconfigSecretRef?.name)];
  return [...new Set(names.filter((n): n is string => !!n))].map((n) => `${c.metadata.namespace ?? ''}/${n}`);
}

const MAX_DEPTH = 256;

/**
 * A node or bundle being deleted (deletionTimestamp set: the finalizer kure.dev/in-use holds it while
 * objects name it). The index treats it as a tombstone that keeps its object: what hangs under it
 * still reaches its cluster, it is not part of any cluster's input, and it survives a restart.
 */
export const isDeleting = (r: KureResource): boolean => r.kind !== 'KureCluster' && !!r.metadata.deletionTimestamp;

export class FleetIndex {
  private readonly objects = new Map<string, KureResource>();
  /** parent refKey → refKeys of the objects that name it (whether or not the parent exists). */
  private readonly children = new Map<string, Set<string>>();
  private readonly parents = new Map<string, string>();
  /**
   * Nodes and bundles deleted while objects still name them: kept as a link (no object) so that
   * their subtree still reaches its cluster, which keeps their last good state in Git and says why
   * (deletion never prunes by surprise). Released when the last child is deleted or re-parented,
   * or when the object comes back. In memory only: the durable form is the finalizer that keeps a
   * deleting object in the API server (isDeleting); this covers one deleted without it.
   */
  private readonly tombstones = new Set<string>();
  /** Secret `<ns>/<name>` → the cluster keys that reference it. */
  private readonly secretUsers = new Map<string, Set<ClusterKey>>();
  private readonly clusterKeys = new Set<ClusterKey>();

  get size(): number {
    return this.objects.size;
  }

  get(kind: KureKind, namespace: string, name: string): KureResource | undefined {
    return this.objects.get(`${kind}/${namespace}/${name}`);
  }

  /** The object with refKey `key` (`Kind/namespace/name`). */
  byKey(key: string): KureResource | undefined {
    return this.objects.get(key);
  }

  /** Adds or replaces an object (the informer's add and update). */
  upsert(r: KureResource): void {
    const key = refKey(refOf(r));
    const previous = this.objects.get(key);
    const parent = parentKeyOf(r);
    // The link to an unchanged parent stays (a tombstone this object hangs under is not released).
    if (previous) this.unlink(key, previous, parent);
    else if (this.tombstones.delete(key)) this.unlinkParent(key, parent);
    this.objects.set(key, r);
    if (parent) {
      this.parents.set(key, parent);
      let set = this.children.get(parent);
      if (!set) this.children.set(parent, (set = new Set()));
      set.add(key);
    }
    if (r.kind === 'KureCluster') {
      const ck = clusterKeyOf(r.metadata.namespace ?? '', r.metadata.name);
      this.clusterKeys.add(ck);
      for (const secret of secretKeysOf(r)) {
        let users = this.secretUsers.get(secret);
        if (!users) this.secretUsers.set(secret, (users = new Set()));
        users.add(ck);
      }
    }
  }

  delete(r: KureResource): void {
    const key = refKey(refOf(r));
    const previous = this.objects.get(key);
    if (!previous) return;
    this.objects.delete(key);
    if (previous.kind !== 'KureCluster' && this.children.get(key)?.size) this.tombstones.add(key);
    else this.unlink(key, previous);
  }

  /** Whether `key` names a deleted (or deleting) node or bundle that objects still hang under. */
  isTombstone(key: string): boolean {
    if (this.tombstones.has(key)) return true;
    const obj = this.objects.get(key);
    return !!obj && isDeleting(obj) && !!this.children.get(key)?.size;
  }

  /** The refKey `key`'s object names as its parent (kept for tombstones too). */
  parentOf(key: string): string | undefined {
    return this.parents.get(key);
  }

  /**
   * Up to `max` live objects (not deleted, not deleting) that hang under `key`, directly or through
   * deleted and deleting nodes and bundles: while there is one, a deleting `key` is in use.
   */
  liveUnder(key: string, max = Infinity): KureResource[] {
    const out: KureResource[] = [];
    const seen = new Set<string>([key]);
    const stack = [key];
    while (stack.length && out.length < max) {
      for (const child of this.children.get(stack.pop() as string) ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        const obj = this.objects.get(child);
        if (obj && !isDeleting(obj)) out.push(obj);
        else stack.push(child);
        if (out.length >= max) break;
      }
    }
    return out;
  }

  private unlink(key: string, previous: KureResource, keep?: string): void {
    this.unlinkParent(key, keep);
    if (previous.kind === 'KureCluster') {
      const ck = clusterKeyOf(previous.metadata.namespace ?? '', previous.metadata.name);
      this.clusterKeys.delete(ck);
      for (const secret of secretKeysOf(previous)) {
        const users = this.secretUsers.get(secret);
        users?.delete(ck);
        if (users?.size === 0) this.secretUsers.delete(secret);
      }
    }
  }

  /** Drops `key`'s link to its parent (unless it is `keep`); a tombstone left with no children goes too, and so on up. */
  private unlinkParent(key: string, keep?: string): void {
    const parent = this.parents.get(key);
    if (!parent || parent === keep) return;
    this.parents.delete(key);
    const set = this.children.get(parent);
    set?.delete(key);
    if (set?.size) return;
    this.children.delete(parent);
    if (this.tombstones.delete(parent)) this.unlinkParent(parent);
  }

  /**
   * The cluster `r` reaches by following its own references, then the indexed objects' (so the old
   * version of an updated object yields the cluster it belonged to), through tombstones. undefined
   * when the chain dangles, loops or ends without a KureCluster that exists.
   */
  clusterOf(r: KureResource): ClusterKey | undefined {
    if (r.kind === 'KureCluster') return clusterKeyOf(r.metadata.namespace ?? '', r.metadata.name);
    let parent = parentKeyOf(r);
    const seen = new Set<string>();
    for (let depth = 0; parent && depth < MAX_DEPTH && !seen.has(parent); depth++) {
      seen.add(parent);
      const obj = this.objects.get(parent);
      if (!obj && !this.tombstones.has(parent)) return undefined;
      if (obj?.kind === 'KureCluster') return clusterKeyOf(obj.metadata.namespace ?? '', obj.metadata.name);
      parent = this.parents.get(parent);
    }
    return undefined;
  }

  /**
   * The object with refKey `root` (when indexed) and every indexed object below it, deleting nodes
   * and bundles left out (what is under them is in).
   */
  subtree(root: string): KureResource[] {
    const out: KureResource[] = [];
    const seen = new Set<string>([root]);
    const stack = [root];
    while (stack.length) {
      const key = stack.pop() as string;
      const obj = this.objects.get(key);
      if (obj && !isDeleting(obj)) out.push(obj);
      for (const child of this.children.get(key) ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        stack.push(child);
      }
    }
    return out;
  }

  /**
   * What assemble() needs to judge one cluster exactly as it would judge the whole fleet: the
   * cluster's subtree, and every other KureCluster (paths may not overlap across clusters).
   */
  clusterInput(key: ClusterKey): KureResource[] {
    const { namespace, name } = splitClusterKey(key);
    const own = this.subtree(`KureCluster/${namespace}/${name}`);
    for (const ck of this.clusterKeys) {
      if (ck === key) continue;
      const { namespace: ns, name: n } = splitClusterKey(ck);
      const c = this.get('KureCluster', ns, n);
      if (c) own.push(c);
    }
    return own;
  }

  /** `r` and the indexed objects above it, up to where the chain ends: what explains why it is detached. */
  ancestry(r: KureResource): KureResource[] {
    const out = [r];
    const seen = new Set<string>([refKey(refOf(r))]);
    let parent = parentKeyOf(r);
    while (parent && !seen.has(parent) && out.length < MAX_DEPTH) {
      seen.add(parent);
      const obj = this.objects.get(parent);
      if (!obj) break;
      out.push(obj);
      parent = this.parents.get(parent);
    }
    return out;
  }

  /** Keys of every KureCluster in the index. */
  clusters(): ClusterKey[] {
    return [...this.clusterKeys];
  }

  clustersReferencingSecret(namespace: string, name: string): ClusterKey[] {
    return [...(this.secretUsers.get(`${namespace}/${name}`) ?? [])];
  }

  /** Every indexed object (for tests and the detached sweep). */
  all(): IterableIterator<KureResource> {
    return this.objects.values();
  }
}

export type { ObjectRef };
