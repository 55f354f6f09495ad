// Watches the engines' objects (Flux Kustomizations, Argo CD Applications) that Kure rendered for
// bundles, and writes each bundle's Applied condition and its cluster's summary through the status
// writer. Event-driven only: an engine object's watch event, or a bundle's status moving to a new
// commit, recomputes that bundle; nothing polls. Nothing here renders or pushes.
//
// The engine objects are mapped back to bundles by the owner labels of src/api/labels.ts. A CRD
// that is not installed (or a list the server refuses) leaves that engine unreadable: its bundles
// get Applied=Unknown/EngineUnreadable, the informer keeps retrying with its backoff, and /readyz
// does not depend on it.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { labelValue, ownerOfLabels, BUNDLE_LABEL } from '../api/labels.js';
import { Reason } from '../api/reasons.js';
import type { KureResource } from '../api/schema.js';
import { splitClusterKey, type ClusterKey, type FleetIndex } from '../model/fleet-index.js';
import { repositoryOf } from '../model/repository.js';
import { APPLIED, appliedCondition, appliedSummary, revisionSha, type EngineName, type EngineObject } from './applied.js';
import type { ResourceCache } from './contracts.js';
import { Informer, Reflector, type EventType, type WatchFn } from './informers.js';
import { statusCode } from './kube.js';
import { scrubString, type Logger } from './logger.js';
import { findCondition, READY } from './status.js';
import type { StatusWriter } from './status-writer.js';

export interface EngineResource {
  engine: EngineName;
  group: string;
  version: string;
  plural: string;
}

export const ENGINE_RESOURCES: Record<EngineName, EngineResource> = {
  flux: { engine: 'flux', group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' },
  argocd: { engine: 'argocd', group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' },
};

/** Only engine objects Kure rendered for a bundle. */
export const ENGINE_SELECTOR = BUNDLE_LABEL;

/** Does commit `descendant` hold `ancestor` in repository url/branch? undefined: cannot tell. */
export type AsyncContains = (url: string, branch: string, descendant: string, ancestor: string) => Promise<boolean | undefined>;

export interface AppliedWatchOptions {
  kubeConfig: KubeConfig;
  watch: WatchFn;
  cache: Pick<ResourceCache, 'get'> & { index: Pick<FleetIndex, 'clusters' | 'subtree' | 'clusterOf'> };
  statuses: Pick<StatusWriter, 'enqueueSide'>;
  contains?: AsyncContains;
  logger: Logger;
  watchTimeoutSeconds: number;
  /** Writes happen only while this is true (the leader). */
  active: () => boolean;
  onRestart?: (resource: string, reason: string) => void;
}

const ownerKey = (clusterNs: string, cluster: string, bundleNs: string, bundle: string) => `${clusterNs}/${cluster}/${bundleNs}/${bundle}`;

export class AppliedWatch {
  readonly informers: Record<EngineName, Informer<EngineObject & { metadata?: { resourceVersion?: string } }>>;
  /** Why an engine cannot be read right now (undefined: readable). */
  private readonly unreadable: Record<EngineName, string | undefined> = { flux: undefined, argocd: undefined };
  /** Engine objects by owner key, per engine. */
  private readonly byOwner: Record<EngineName, Map<string, EngineObject>> = { flux: new Map(), argocd: new Map() };
  /** Last Applied status computed per bundle (for the cluster summaries). */
  private readonly bundleApplied = new Map<string, string>();
  private readonly custom: CustomObjectsApi;

  constructor(private readonly o: AppliedWatchOptions) {
    this.custom = o.kubeConfig.makeApiClient(CustomObjectsApi);
    const make = (r: EngineResource) => {
      const resource = `${r.plural}.${r.group}`;
      this.unreadable[r.engine] = `${resource}: not listed yet`;
      const informer = new Informer<EngineObject>(resource, [
        new Reflector<EngineObject>({
          resource,
          path: `/apis/${r.group}/${r.version}/${r.plural}`,
          list: () => this.list(r),
          watch: o.watch,
          labelSelector: ENGINE_SELECTOR,
          watchTimeoutSeconds: o.watchTimeoutSeconds,
          // The reflector would warn on every retry; list() below says each change of state once.
          logger: o.logger.child({}, { level: 'error' }),
          maxBackoffMs: 60_000,
          onRestart: (reason) => o.onRestart?.(resource, reason),
        }),
      ]);
      informer.on((type, obj, old) => this.onEngineEvent(r.engine, type, obj, old));
      return informer;
    };
    this.informers = { flux: make(ENGINE_RESOURCES.flux), argocd: make(ENGINE_RESOURCES.argocd) };
  }

  private async list(r: EngineResource): Promise<{ items: EngineObject[]; resourceVersion: string }> {
    const resource = `${r.plural}.${r.group}`;
    try {
      const page = (await this.custom.listClusterCustomObject({ group: r.group, version: r.version, plural: r.plural, labelSelector: ENGINE_SELECTOR })) as {
        items?: EngineObject[];
        metadata?: { resourceVersion?: string };
      };
      const wasUnreadable = this.unreadable[r.engine] !== undefined;
      this.unreadable[r.engine] = undefined;
      if (wasUnreadable) queueMicrotask(() => this.recomputeEngine(r.engine));
      return { items: page.items ?? [], resourceVersion: page.metadata?.resourceVersion ?? '' };
    } catch (err) {
      const code = statusCode(err);
      const before = this.unreadable[r.engine];
      this.unreadable[r.engine] =
        code === 404
          ? `the CRD ${resource} is not installed in the cluster Kure reads`
          : code === 403
            ? `not allowed to list ${resource} cluster-wide (RBAC: get, list, watch; chart value controller.watchEngine)`
            : `listing ${resource} failed: ${scrubString(err instanceof Error ? err.message : String(err))}`;
      if (before !== this.unreadable[r.engine]) {
        this.o.logger.warn({ resource }, `${this.unreadable[r.engine]}: bundles' Applied is Unknown until it can be read; retrying with backoff`);
        this.recomputeEngine(r.engine);
      }
      throw err;
    }
  }

  start(): void {
    for (const i of Object.values(this.informers)) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
  }

  private onEngineEvent(engine: EngineName, type: EventType, obj: EngineObject, old?: EngineObject): void {
    const owners = [ownerOfLabels(obj.metadata?.labels), old ? ownerOfLabels(old.metadata?.labels) : undefined];
    const seen = new Set<string>();
    for (const [i, owner] of owners.entries()) {
      if (!owner) continue;
      const key = ownerKey(owner.cluster.namespace, owner.cluster.name, owner.bundle.namespace, owner.bundle.name);
      if (i === 0) {
        if (type === 'delete') this.byOwner[engine].delete(key);
        else this.byOwner[engine].set(key, obj);
      } else if (!seen.has(key) && this.byOwner[engine].get(key) === old) this.byOwner[engine].delete(key);
      if (seen.has(key)) continue;
      seen.add(key);
      for (const b of this.bundlesOf(owner.bundle.namespace, owner.bundle.name)) void this.recompute(b);
    }
  }

  /** The bundles a label pair names (the name itself, or a long name whose label value it is). */
  private bundlesOf(namespaceLabel: string, nameLabel: string): KureResource[] {
    const direct = this.o.cache.get('KureBundle', namespaceLabel, nameLabel);
    if (direct) return [direct];
    if (!/-[0-9a-f]{8}$/.test(nameLabel) && !/-[0-9a-f]{8}$/.test(namespaceLabel) && !/^[0-9a-f]{8}$/.test(nameLabel)) return [];
    const out: KureResource[] = [];
    for (const key of this.o.cache.index.clusters()) {
      for (const r of this.o.cache.index.subtree(`KureCluster/${key}`)) {
        if (r.kind === 'KureBundle' && labelValue(r.metadata.name) === nameLabel && labelValue(r.metadata.namespace ?? '') === namespaceLabel) out.push(r);
      }
    }
    return out;
  }

  /** A bundle changed (its status moved to a new commit, its generation): recompute it. */
  onBundle(type: EventType, obj: KureResource, old?: KureResource): void {
    if (obj.kind !== 'KureBundle') return;
    if (type === 'delete') {
      this.bundleApplied.delete(bundleKey(obj));
      return;
    }
    if (old && currentCommit(old) === currentCommit(obj) && old.metadata.generation === obj.metadata.generation && clusterRefOf(old) === clusterRefOf(obj)) return;
    void this.recompute(obj);
  }

  /** Everything again (on becoming leader). */
  recomputeAll(): void {
    for (const key of this.o.cache.index.clusters()) for (const r of this.o.cache.index.subtree(`KureCluster/${key}`)) if (r.kind === 'KureBundle') void this.recompute(r);
  }

  private recomputeEngine(engine: EngineName): void {
    for (const key of this.o.cache.index.clusters()) {
      const c = this.o.cache.get('KureCluster', splitClusterKey(key).namespace, splitClusterKey(key).name);
      if (engineOf(c) !== engine) continue;
      for (const r of this.o.cache.index.subtree(`KureCluster/${key}`)) if (r.kind === 'KureBundle') void this.recompute(r);
    }
  }

  /** Computes and writes the bundle's Applied condition, then its cluster's summary. */
  async recompute(bundle: KureResource): Promise<void> {
    try {
      const key = this.o.cache.index.clusterOf(bundle);
      if (key === undefined) return;
      const { namespace, name } = splitClusterKey(key);
      const cluster = this.o.cache.get('KureCluster', namespace, name);
      if (!cluster) return;
      const engine = engineOf(cluster);
      const object = this.byOwner[engine].get(
        ownerKey(labelValue(namespace), labelValue(name), labelValue(bundle.metadata.namespace ?? ''), labelValue(bundle.metadata.name)),
      );
      const commit = currentCommit(bundle);
      const status = object?.status ?? {};
      const revision = revisionSha(engine === 'flux' ? status.lastAppliedRevision : (status.sync as { revision?: string } | undefined)?.revision);
      let answer: boolean | undefined;
      if (revision && commit && revision !== commit && typeof (bundle.spec as { path?: unknown } | undefined)?.path !== 'string') {
        const repo = repositoryOf(cluster as never);
        answer = repo.url && this.o.contains ? await this.o.contains(repo.url, repo.branch, revision, commit) : undefined;
      }
      const external = typeof (bundle.spec as { path?: unknown } | undefined)?.path === 'string';
      if (external) answer = undefined;
      const condition = appliedCondition({ engine, object, unreadable: this.unreadable[engine], commit, external, contains: (d, a) => (d === a ? true : answer) });
      // The condition speaks of the generation whose commit it compares.
      const generation = commit ? bundle.metadata.generation : undefined;
      this.bundleApplied.set(bundleKey(bundle), condition.status);
      if (!this.o.active()) return;
      this.o.statuses.enqueueSide(bundle, { condition: { ...condition, observedGeneration: generation } });
      this.summarise(key, cluster);
    } catch (err) {
      this.o.logger.warn({ err, bundle: bundleKey(bundle) }, 'computing the Applied condition failed');
    }
  }

  private summarise(key: ClusterKey, cluster: KureResource): void {
    const bundles = this.o.cache.index.subtree(`KureCluster/${key}`).filter((r) => r.kind === 'KureBundle');
    const sha = (cluster.status as { lastCommit?: { sha?: string } } | undefined)?.lastCommit?.sha;
    const s = appliedSummary(
      bundles.map((b) => ({ status: this.bundleApplied.get(bundleKey(b)) })),
      sha,
    );
    const all = s.total > 0 && s.applied === s.total;
    this.o.statuses.enqueueSide(cluster, {
      condition: {
        type: APPLIED,
        status: all ? 'True' : 'False',
        reason: all ? Reason.Applied : Reason.NotYetApplied,
        message: `applied ${s.summary}`,
        observedGeneration: cluster.metadata.generation,
      },
      fields: { applied: s.summary },
    });
  }
}

const bundleKey = (b: KureResource) => `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
const clusterRefOf = (b: KureResource) => JSON.stringify((b.spec as { nodeRef?: unknown } | undefined)?.nodeRef ?? null);

function engineOf(c: KureResource | undefined): EngineName {
  const e = (c?.spec as { gitops?: { engine?: string } } | undefined)?.gitops?.engine;
  return e === 'argocd' ? 'argocd' : 'flux';
}

/** status.commit when it carries the bundle's current generation (Ready True at it), else undefined. */
export function currentCommit(bundle: KureResource): string | undefined {
  const status = bundle.status as { commit?: string; observedGeneration?: number; conditions?: { type: string; status: string; observedGeneration?: number }[] } | undefined;
  if (!status?.commit) return undefined;
  const ready = findCondition(status.conditions as never, READY) as { status: string; observedGeneration?: number } | undefined;
  if (!ready || ready.status !== 'True' || (ready.observedGeneration ?? status.observedGeneration) !== bundle.metadata.generation) return undefined;
  return status.commit;
}

