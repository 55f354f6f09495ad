// The informer caches as the reconcilers see them: the Kure objects through the fleet index
// (membership, one cluster's input) and the credentials Secrets. The manager feeds every Kure watch
// event into the index before the handlers map it to requests.
import type { V1Secret } from '@kubernetes/client-node';
import type { KureKind, KureResource } from '../api/schema.js';
import { FleetIndex, type ClusterKey } from '../model/fleet-index.js';
import type { ResourceCache } from './contracts.js';
import type { EventType, Informer } from './informers.js';

export type KureInformers = { [K in KureKind]: Informer<KureResource> };

export class InformerCache implements ResourceCache {
  readonly index = new FleetIndex();

  constructor(
    readonly kure: KureInformers,
    readonly secrets: Informer<V1Secret> | undefined,
  ) {}

  /** Applies a watch event to the index (before handlers run); returns the cluster `old` reached before it. */
  observe(type: EventType, obj: KureResource, old?: KureResource): ClusterKey | undefined {
    const reached = type === 'add' ? undefined : this.index.clusterOf(old ?? obj);
    if (type === 'delete') this.index.delete(obj);
    else this.index.upsert(obj);
    return reached;
  }

  get(kind: KureKind, namespace: string, name: string): KureResource | undefined {
    return this.index.get(kind, namespace, name);
  }

  secret(namespace: string, name: string): V1Secret | undefined {
    return this.secrets?.get(namespace, name);
  }

  /** True when some KureCluster references Secret namespace/name (only those keep their data in memory). */
  secretReferenced(namespace: string, name: string): boolean {
    return this.index.clustersReferencingSecret(namespace, name).length > 0;
  }
}
