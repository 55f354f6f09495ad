// The KureCluster finalizer: set on every live cluster so the controller sees its deletion and can
// apply spec.deletionPolicy (Delete: remove repository.path in one commit; Retain: leave Git alone)
// before the object goes away.
import type { KureResource } from '../api/schema.js';

export const FINALIZER = 'kure.dev/finalizer';

export function hasFinalizer(obj: Pick<KureResource, 'metadata'>): boolean {
  return obj.metadata.finalizers?.includes(FINALIZER) ?? false;
}

export function withFinalizer(obj: Pick<KureResource, 'metadata'>): string[] {
  const list = obj.metadata.finalizers ?? [];
  return list.includes(FINALIZER) ? [...list] : [...list, FINALIZER];
}

export function withoutFinalizer(obj: Pick<KureResource, 'metadata'>): string[] {
  return (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
}
