// Kure's finalizers.
//   kure.dev/finalizer, on every live KureCluster: the controller sees its deletion and applies
//   spec.deletionPolicy (Delete: remove repository.path in one commit; Retain: leave Git alone)
//   before the object goes away.
//   kure.dev/in-use, on every live KureNode and KureBundle (as kubernetes.io/pvc-protection on a
//   PVC): one deleted while objects still name it stays, deleting, until the last of them is deleted
//   or re-parented, so that its part of Git is never pruned by surprise, across restarts too.
import type { KureResource } from '../api/schema.js';
import { isDeleting } from '../model/fleet-index.js';

export const FINALIZER = 'kure.dev/finalizer';
export const IN_USE_FINALIZER = 'kure.dev/in-use';

type WithMetadata = Pick<KureResource, 'metadata'>;

export function hasFinalizer(obj: WithMetadata, finalizer = FINALIZER): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

export function withFinalizer(obj: WithMetadata, finalizer = FINALIZER): string[] {
  const list = obj.metadata.finalizers ?? [];
  return list.includes(finalizer) ? [...list] : [...list, finalizer];
}

export function withoutFinalizer(obj: WithMetadata, finalizer = FINALIZER): string[] {
  return (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
}

/** Whether a node or bundle's kure.dev/in-use needs a change: live without it, or deleting with it. */
export function inUseDue(obj: KureResource): boolean {
  return (obj.kind === 'KureNode' || obj.kind === 'KureBundle') && isDeleting(obj) === hasFinalizer(obj, IN_USE_FINALIZER);
}
