// The informer caches as the reconciler sees them (ResourceCache), and the mapping from a watch
// event to the cluster keys it affects: an event enqueues the cluster the object reaches now, the
// one it reached before the change, and the one it belonged to at the last assemble (so moving an
// application from one cluster's bundle to another's reconciles both).
import type { V1Secret } from '@kubernetes/client-node';
import type { KureApplication, KureBundle, KureCluster, KureKind, KureNode, KureResource } from '../api/schema.js';
import type { ResourceCache } from './contracts.js';
import type { EventType, Informer } from './informers.js';
import { clusterKeyOf } from './reconciler.js';

export type KureInformers = { [K in KureKind]: Informer<KureResource> };

export class InformerCache implements ResourceCache {
  private rev = 0;

  constructor(
    readonly kure: KureInformers,
    readonly secrets: Informer<V1Secret> | undefined,
  ) {}

  /** Called by the manager on every cache change. */
  bump(): void {
    this.rev++;
  }

  revision(): number {
    return this.rev;
  }

  resources(): KureResource[] {
    return [
      ...this.kure.KureCluster.list(),
      ...this.kure.KureNode.list(),
      ...this.kure.KureBundle.list(),
      ...this.kure.KureApplication.list(),
    ];
  }

  get(kind: KureKind, namespace: string, name: string): KureResource | undefined {
    return this.kure[kind].get(namespace, name);
  }

  secret(namespace: string, name: string): V1Secret | undefined {
    return this.secrets?.get(namespace, name);
  }

  /** True when some KureCluster references Secret namespace/name. */
  secretReferenced(namespace: string, name: string): boolean {
    return this.clustersReferencingSecret(namespace, name).length > 0;
  }

  clustersReferencingSecret(namespace: string, name: string): string[] {
    return (this.kure.KureCluster.list() as KureCluster[])
      .filter((c) => (c.metadata.namespace ?? '') === namespace && c.spec?.repository?.secretRef?.name === name)
      .map((c) => clusterKeyOf(namespace, c.metadata.name));
  }
}

/**
 * The cluster key an object reaches by following its references through the cache, or undefined
 * (dangling reference, cycle). Mirrors assemble's resolution closely enough to route events; the
 * reconcile itself always re-assembles.
 */
export function clusterKeyFor(obj: KureResource, cache: Pick<ResourceCache, 'get'>): string | undefined {
  let current: KureResource | undefined = obj;
  const seen = new Set<string>();
  for (let depth = 0; current && depth < 256; depth++) {
    const ns = current.metadata.namespace ?? '';
    const id = `${current.kind}/${ns}/${current.metadata.name}`;
    if (seen.has(id)) return undefined;
    seen.add(id);
    switch (current.kind) {
      case 'KureCluster':
        return clusterKeyOf(ns, current.metadata.name);
      case 'KureApplication': {
        const ref = (current as KureApplication).spec?.bundleRef;
        if (!ref?.name) return undefined;
        current = cache.get('KureBundle', ref.namespace ?? ns, ref.name);
        break;
      }
      case 'KureBundle': {
        const ref = (current as KureBundle).spec?.nodeRef;
        if (!ref?.name) return undefined;
        current = cache.get('KureNode', ns, ref.name);
        break;
      }
      case 'KureNode': {
        const spec = (current as KureNode).spec;
        if (spec?.clusterRef?.name) return cache.get('KureCluster', ns, spec.clusterRef.name) ? clusterKeyOf(ns, spec.clusterRef.name) : undefined;
        if (!spec?.parentRef?.name) return undefined;
        current = cache.get('KureNode', ns, spec.parentRef.name);
        break;
      }
    }
  }
  return undefined;
}

/** Whether an update is worth a reconcile: spec (generation) or deletion changed. Status-only writes are not. */
export function isRelevantUpdate(type: EventType, obj: KureResource, old?: KureResource): boolean {
  if (type !== 'update' || !old) return true;
  if (obj.metadata.generation === undefined || old.metadata.generation === undefined) return true;
  return (
    obj.metadata.generation !== old.metadata.generation ||
    obj.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
    (obj.kind === 'KureCluster' && !(obj.metadata.finalizers ?? []).length && (old.metadata.finalizers ?? []).length > 0)
  );
}
