// The reconciler for a Kure object that reaches no cluster: its status says why (its own problems,
// found by assembling it with what is above it, or NoCluster; a problem is also told as an Event on
// the object when it first shows). An object that does reach a cluster is left to that cluster's
// reconcile, which writes every member.
import type { Pipeline, ResourceCache } from './contracts.js';
import { NO_CLUSTER, asTarget, problemsReady } from './cluster-reconciler.js';
import type { EventRecorder } from './events.js';
import { refKey } from '../model/problems.js';
import type { ObjectRequest, Reconciler, Result } from './reconcile.js';
import type { StatusWriter } from './status-writer.js';

export class DetachedReconciler implements Reconciler<ObjectRequest> {
  constructor(
    private readonly cache: ResourceCache,
    private readonly pipeline: Pick<Pipeline, 'assemble'>,
    private readonly statuses: StatusWriter,
    private readonly events?: Pick<EventRecorder, 'record'>,
  ) {}

  async reconcile(req: ObjectRequest): Promise<Result> {
    const obj = this.cache.get(req.kind, req.namespace, req.name);
    // Gone, or a cluster (reconciled under its own request), or attached: nothing to do here.
    if (!obj || obj.kind === 'KureCluster' || this.cache.index.clusterOf(obj) !== undefined) return {};
    const result = this.pipeline.assemble(this.cache.index.ancestry(obj));
    const key = refKey({ kind: req.kind, namespace: req.namespace, name: req.name });
    const own = [...result.orphans, ...result.problems].filter((p) => refKey(p.ref) === key);
    const unique = [...new Map(own.map((p) => [`${p.field}|${p.message}`, p])).values()];
    const ready = unique.length ? problemsReady(unique) : NO_CLUSTER;
    if ((await this.statuses.write(obj, ready)) && unique.length) void this.events?.record(asTarget(obj), 'Warning', ready.reason, ready.message);
    return {};
  }
}
