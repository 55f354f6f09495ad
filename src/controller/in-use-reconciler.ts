// The reconciler for the finalizer kure.dev/in-use on a KureNode or KureBundle (finalizer.ts), as
// Kubernetes' pvc-protection controller does it for a PVC: a live node or bundle gets the finalizer;
// a deleting one keeps it while live objects still name it (its subtree's last good state stays in
// Git: the fleet index treats it as a tombstone, the cluster reconcile holds that part back and its
// objects say NotFound) and loses it once none does, so the API server removes it and the next
// commit prunes its files. Writes only metadata.finalizers, optimistically (resourceVersion).
import { formatRef, refKey, refOf } from '../model/problems.js';
import { isDeleting, type FleetIndex } from '../model/fleet-index.js';
import type { ResourceCache } from './contracts.js';
import { asTarget } from './cluster-reconciler.js';
import type { EventRecorder } from './events.js';
import { IN_USE_FINALIZER, inUseDue, withFinalizer, withoutFinalizer } from './finalizer.js';
import { statusCode, type KureWriter } from './kube.js';
import type { Logger } from './logger.js';
import type { ObjectRequest, Reconciler, Result } from './reconcile.js';
import { Reason } from './status.js';

/** Objects named in the Event of a deletion that waits. */
const SHOWN = 5;
/** After a 409 (the object moved since the cache saw it, e.g. a status write): again once the cache has caught up. */
const CONFLICT_RETRY_MS = 1_000;

export class InUseReconciler implements Reconciler<ObjectRequest> {
  constructor(
    private readonly cache: ResourceCache & { readonly index: Pick<FleetIndex, 'liveUnder'> },
    private readonly kube: Pick<KureWriter, 'setFinalizers'>,
    private readonly logger: Logger,
    private readonly events?: Pick<EventRecorder, 'record'>,
  ) {}

  async reconcile(req: ObjectRequest): Promise<Result> {
    const obj = this.cache.get(req.kind, req.namespace, req.name);
    if (!obj || !inUseDue(obj)) return {};
    const deleting = isDeleting(obj);
    let finalizers: string[];
    if (!deleting) {
      finalizers = withFinalizer(obj, IN_USE_FINALIZER);
    } else {
      const users = this.cache.index.liveUnder(refKey(refOf(obj)), SHOWN + 1);
      if (users.length) {
        // The handlers bring it back when the objects under it are deleted or re-parented.
        const names = users.slice(0, SHOWN).map((u) => formatRef(refOf(u)));
        const message = `deletion waits (${IN_USE_FINALIZER}) while objects still name it: ${names.join(', ')}${users.length > SHOWN ? ', …' : ''}; what Git holds of it stays until they are deleted or re-parented`;
        void this.events?.record(asTarget(obj), 'Warning', Reason.InUse, message, 'Delete');
        return {};
      }
      finalizers = withoutFinalizer(obj, IN_USE_FINALIZER);
    }
    try {
      await this.kube.setFinalizers(obj.kind, req.namespace, req.name, finalizers, obj.metadata.resourceVersion);
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      this.logger.debug({ object: formatRef(refOf(obj)) }, `${IN_USE_FINALIZER}: conflict, again when the cache has caught up`);
      return { requeueAfterMs: CONFLICT_RETRY_MS };
    }
    if (deleting) this.logger.info({ object: formatRef(refOf(obj)) }, `removed finalizer ${IN_USE_FINALIZER}: nothing names it any more`);
    return {};
  }
}
