// THE business logic of the controller: reconcile(clusterKey) → result. Level-triggered and
// idempotent: it reads the whole hierarchy from the caches, assembles it, renders it when it may,
// syncs the tree to Git (the sink makes no commit when nothing changed) and writes each member's
// status only when it changed. The machinery (informers, queue, leader election) lives elsewhere.
import type { KureCluster, KureKind, KureResource } from '../api/schema.js';
import { DEFAULTS } from '../model/assemble.js';
import { cmp, formatProblem as fmtProblem, formatRef, refKey, refOf } from '../model/problems.js';
import { normalizeRepoPath } from '../model/repo-path.js';
import type { ObjectRef, Problem } from '../model/types.js';
import {
  gitErrorKind,
  type AssembleResultLike,
  type AssembledClusterLike,
  type GitAuth,
  type GitTarget,
  type Pipeline,
  type ResourceCache,
  type Sink,
  type SyncResult,
} from './contracts.js';
import { describeChanges, provenanceMessage, type ChangedObject } from '../git/message.js';
import { VERSION } from '../version.js';
import type { EventRecorder } from './events.js';
import { pokesAfterPush, type EngineNotifier } from './notify.js';
import { FINALIZER, hasFinalizer, withFinalizer, withoutFinalizer } from './finalizer.js';
import { CREDENTIALS_SELECTOR, decodeSecret, isCredentialsSecret, type KureWriter } from './kube.js';
import { displayUrl, scrubString, type Logger } from './logger.js';
import type { ControllerMetrics } from './metrics.js';
import { RepoLock, repoLockKey } from './repo-lock.js';
import { Reason, nextStatus, statusEqual, type ReadyInput } from './status.js';

/** Queue key of the reconcile that writes status for resources that reach no cluster. */
export const DETACHED_KEY = '~detached';

const KIND_ORDER = ['KureCluster', 'KureNode', 'KureBundle', 'KureApplication'];

export type Outcome = 'success' | 'invalid' | 'suspended' | 'error' | 'deleted' | 'skipped';

export interface ReconcileResult {
  outcome: Outcome;
  /** Reconcile again after this long (without backoff). */
  requeueAfterMs?: number;
  /** Failed transiently: re-queue with the key's exponential backoff. */
  backoff?: boolean;
  /** The commit made, if any. */
  commit?: SyncResult;
}

export interface ReconcilerDeps {
  cache: ResourceCache;
  kube: KureWriter;
  sink: Sink;
  pipeline: Pipeline;
  events: Pick<EventRecorder, 'record'>;
  logger: Logger;
  metrics?: ControllerMetrics;
  repoLock?: RepoLock;
  /** Asks the GitOps engine to reconcile now after a push (notify.ts); absent: it polls Git. */
  notifier?: Pick<EngineNotifier, 'notify'>;
  /** Namespaces whose Secrets may be read as credentials (--credentials-namespaces); undefined: every watched one. */
  credentialsNamespaces?: readonly string[];
  /** Parallel status patches per reconcile (default 16). */
  statusConcurrency?: number;
  now?: () => Date;
}


export function clusterKeyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Problems of one object, as the Ready condition shows them. */
function problemsReady(problems: Problem[]): ReadyInput {
  const own = problems.map((p) => `${p.field}: ${p.message}`);
  return { status: 'False', reason: problems[0]?.reason ?? Reason.InvalidSpec, message: own.join('; ') };
}

function summarize(problems: Problem[], max = 5): string {
  const shown = problems.slice(0, max).map(fmtProblem);
  const more = problems.length > max ? `; … and ${problems.length - max} more` : '';
  return `${problems.length} problem${problems.length === 1 ? '' : 's'} in the hierarchy: ${shown.join('; ')}${more}`;
}

async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (i < items.length) {
      const item = items[i++] as T;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
}

export class Reconciler {
  private readonly repoLock: RepoLock;
  private readonly now: () => Date;
  private memo: { revision: number; result: AssembleResultLike } | undefined;
  private membershipMap = new Map<string, string>();
  /** File owners of the tree last rendered per cluster key: credits removed files to their former owner. */
  private readonly lastOwners = new Map<string, ReadonlyMap<string, ObjectRef>>();
  /** Status we wrote, by refKey, with the resourceVersion the object had before (stale-cache guard). */
  private readonly written = new Map<string, { before: string | undefined; status: Record<string, unknown> }>();

  constructor(private readonly d: ReconcilerDeps) {
    this.repoLock = d.repoLock ?? new RepoLock();
    this.now = d.now ?? (() => new Date());
  }

  /** Assembles the cached resources once per cache revision. */
  assembled(): AssembleResultLike {
    const revision = this.d.cache.revision();
    if (this.memo?.revision !== revision) {
      const result = this.d.pipeline.assemble(this.d.cache.resources());
      this.memo = { revision, result };
      const membership = new Map<string, string>();
      for (const c of result.clusters) for (const m of c.members) membership.set(refKey(m), c.key);
      this.membershipMap = membership;
    }
    return this.memo.result;
  }

  /** The cluster key `Kind/namespace/name` belonged to at the last assemble (no re-assemble). */
  lastClusterOf(ref: ObjectRef): string | undefined {
    return this.membershipMap.get(refKey(ref));
  }

  async reconcile(key: string, signal?: AbortSignal): Promise<ReconcileResult> {
    if (key === DETACHED_KEY) return this.reconcileDetached();
    const [namespace, name] = splitKey(key);
    const cluster = this.d.cache.get('KureCluster', namespace, name) as KureCluster | undefined;
    if (!cluster) return { outcome: 'skipped' };
    if (cluster.metadata.deletionTimestamp) return this.finalize(cluster, signal);

    if (!hasFinalizer(cluster)) {
      await this.d.kube.setFinalizers('KureCluster', namespace, name, withFinalizer(cluster), cluster.metadata.resourceVersion);
    }

    const result = this.assembled();
    const ac = result.clusters.find((c) => c.key === key);
    if (!ac) {
      // The cluster itself is malformed: it has no model. Its members are detached.
      const own = result.problems.filter((p) => refKey(p.ref) === refKey(refOf(cluster)));
      const ready = own.length ? problemsReady(own) : { status: 'False' as const, reason: Reason.InvalidSpec, message: 'the cluster could not be assembled' };
      await this.writeStatus(cluster, ready);
      this.warn(cluster, ready.reason, ready.message);
      return { outcome: 'invalid' };
    }

    const byRef = new Map<string, Problem[]>();
    for (const p of ac.problems) {
      const k = refKey(p.ref);
      byRef.set(k, [...(byRef.get(k) ?? []), p]);
    }
    const members = this.members(ac);
    const clusterRef = refKey(ac.model.ref);

    if (cluster.spec.suspend) {
      await this.writeMembers(members, byRef, clusterRef, {
        cluster: { status: 'False', reason: Reason.Suspended, message: 'spec.suspend is true: nothing is rendered or pushed until it is false' },
        member: { status: 'False', reason: Reason.Suspended, message: `KureCluster ${key} is suspended (spec.suspend: true)` },
      });
      return { outcome: 'suspended' };
    }

    if (!this.d.pipeline.isRenderable(ac)) {
      const clusterOwn = byRef.get(clusterRef) ?? [];
      const ready: ReadyInput = {
        status: 'False',
        reason: clusterOwn[0]?.reason ?? ac.problems[0]?.reason ?? Reason.InvalidSpec,
        message: `not rendered, nothing pushed: ${summarize(ac.problems)}`,
      };
      await this.writeMembers(members, byRef, clusterRef, {
        cluster: ready,
        member: {
          status: 'False',
          reason: Reason.ClusterNotReady,
          message: `KureCluster ${key} is not rendered: ${ac.problems.length} problem(s) in its hierarchy (kubectl describe kurecluster -n ${namespace} ${name})`,
        },
      });
      this.warn(cluster, ready.reason, ready.message);
      return { outcome: 'invalid' };
    }

    let tree;
    try {
      tree = this.d.pipeline.render(ac.model);
    } catch (err) {
      const message = `render failed: ${(err as Error).message}`;
      await this.writeMembers(members, byRef, clusterRef, {
        cluster: { status: 'False', reason: Reason.InvalidSpec, message },
        member: { status: 'False', reason: Reason.ClusterNotReady, message: `KureCluster ${key} could not be rendered` },
      });
      this.warn(cluster, Reason.InvalidSpec, message);
      return { outcome: 'invalid' };
    }

    const target = await this.target(cluster, ac);
    if ('problem' in target) {
      await this.writeMembers(members, byRef, clusterRef, {
        cluster: { status: 'False', reason: target.reason, message: target.problem },
        member: { status: 'False', reason: Reason.ClusterNotReady, message: `KureCluster ${key} cannot push: ${target.problem}` },
      });
      this.warn(cluster, target.reason, target.problem);
      // The Secret informer re-queues the cluster when the Secret appears (or gets its label) or changes.
      return { outcome: 'invalid', requeueAfterMs: 5 * 60_000 };
    }

    const where = `${displayUrl(target.url)} branch ${target.branch} path ${target.path || '.'}`;
    // File owners, for the commit message: asked for only when there is something to commit (a
    // tree render() did not get from the output check is rendered once more to find them).
    let owners: ReadonlyMap<string, ObjectRef> | undefined;
    const ownersOf = () => (owners ??= this.d.pipeline.owners?.(ac.model, tree) ?? new Map<string, ObjectRef>());
    let sync: SyncResult;
    try {
      sync = await this.repoLock.withLock(repoLockKey(target.url, target.branch), () =>
        this.d.sink.sync(target, tree, this.commitMessage(key, ac, ownersOf), signal),
      );
      if (owners) this.lastOwners.set(key, owners);
    } catch (err) {
      if (signal?.aborted) throw err;
      const kind = gitErrorKind(err) ?? 'other';
      this.d.metrics?.gitErrors.inc({ kind });
      const message = `push to ${where} failed (${kind}): ${scrubString((err as Error).message ?? String(err))}`;
      this.d.logger.warn({ cluster: key, kind, err }, 'git sync failed');
      await this.writeMembers(members, byRef, clusterRef, {
        cluster: { status: 'False', reason: Reason.GitError, message },
        member: { status: 'False', reason: Reason.ClusterNotReady, message: `KureCluster ${key} could not push to Git (GitError); see its status` },
      });
      this.warn(cluster, Reason.GitError, message);
      return { outcome: 'error', backoff: true };
    }

    const extra: Record<string, unknown> = {};
    if (sync.changed) {
      this.d.metrics?.gitCommits.inc();
      const lastCommit = { sha: sync.sha, time: sync.time ?? this.now().toISOString(), message: firstLine(sync.message ?? describeChanges(key, sync.changedPaths)) };
      extra.lastCommit = lastCommit;
      this.d.logger.info({ cluster: key, sha: sync.sha, files: sync.changedPaths.length, attempts: sync.attempts }, 'pushed commit');
      void this.d.events.record(asTarget(cluster), 'Normal', 'Committed', `Pushed ${sync.sha.slice(0, 12)} to ${where}: ${sync.changedPaths.length} file(s) changed`, 'Push');
      await this.d.notifier?.notify(key, pokesAfterPush(ac.model, sync.changedPaths, this.now()));
    }
    await this.writeMembers(
      members,
      byRef,
      clusterRef,
      {
        cluster: { status: 'True', reason: Reason.Rendered, message: `Rendered ${tree.size} file(s) into ${where}` },
        member: { status: 'True', reason: Reason.Rendered, message: `Rendered as part of KureCluster ${key}` },
      },
      extra,
    );
    return { outcome: 'success', commit: sync };
  }

  // ---------------------------------------------------------------- deletion
  private async finalize(cluster: KureCluster, signal?: AbortSignal): Promise<ReconcileResult> {
    const key = clusterKeyOf(cluster.metadata.namespace ?? '', cluster.metadata.name);
    if (!hasFinalizer(cluster)) return { outcome: 'skipped' };
    const policy = cluster.spec?.deletionPolicy ?? 'Retain';
    if (policy === 'Delete' && !cluster.spec.suspend) {
      const ac = this.assembled().clusters.find((c) => c.key === key);
      const target = await this.target(cluster, ac);
      if ('problem' in target) {
        await this.writeStatus(cluster, { status: 'False', reason: target.reason, message: `deletionPolicy Delete: ${target.problem}` });
        this.warn(cluster, target.reason, target.problem);
        return { outcome: 'error', backoff: true };
      }
      const where = `${displayUrl(target.url)} branch ${target.branch} path ${target.path}`;
      // A path that never was valid was never written: there is nothing of Kure's to remove.
      if (target.path) {
        try {
          const res = await this.repoLock.withLock(repoLockKey(target.url, target.branch), () =>
            this.d.sink.remove(target, `kure: remove ${key} (KureCluster deleted, deletionPolicy Delete)\n\nRemoves ${target.path}.`, signal),
          );
          if (res.changed) {
            this.d.metrics?.gitCommits.inc();
            void this.d.events.record(asTarget(cluster), 'Normal', 'Deleted', `Removed ${target.path} from ${where} in ${res.sha.slice(0, 12)}`, 'Delete');
          }
        } catch (err) {
          if (signal?.aborted) throw err;
          const kind = gitErrorKind(err) ?? 'other';
          this.d.metrics?.gitErrors.inc({ kind });
          const message = `deletionPolicy Delete: removing ${target.path} from ${where} failed (${kind}): ${scrubString((err as Error).message)}`;
          await this.writeStatus(cluster, { status: 'False', reason: Reason.GitError, message });
          this.warn(cluster, Reason.GitError, message);
          return { outcome: 'error', backoff: true };
        }
      }
    }
    await this.d.kube.setFinalizers('KureCluster', cluster.metadata.namespace ?? '', cluster.metadata.name, withoutFinalizer(cluster), cluster.metadata.resourceVersion);
    this.d.logger.info({ cluster: key, deletionPolicy: policy }, `removed finalizer ${FINALIZER}`);
    return { outcome: 'deleted' };
  }

  // ---------------------------------------------------------------- detached resources
  private async reconcileDetached(): Promise<ReconcileResult> {
    const result = this.assembled();
    const clusterKeys = new Set(result.clusters.flatMap((c) => c.members.map(refKey)));
    const detached =
      result.detached ??
      this.d.cache
        .resources()
        .map(refOf)
        .filter((r) => !clusterKeys.has(refKey(r)));
    const byRef = new Map<string, Problem[]>();
    for (const p of result.orphans) byRef.set(refKey(p.ref), [...(byRef.get(refKey(p.ref)) ?? []), p]);
    const objects = detached
      .filter((r) => r.kind !== 'KureCluster') // clusters are reconciled under their own key
      .map((r) => this.d.cache.get(r.kind, r.namespace, r.name))
      .filter((o): o is KureResource => o !== undefined);
    await pool(objects, this.d.statusConcurrency ?? 16, (obj) => {
      const problems = byRef.get(refKey(refOf(obj))) ?? [];
      const ready: ReadyInput = problems.length
        ? problemsReady(problems)
        : {
            status: 'False',
            reason: Reason.NoCluster,
            message: 'not part of any valid KureCluster: follow clusterRef/parentRef/nodeRef/bundleRef up to a KureCluster that exists and is valid',
          };
      return this.writeStatus(obj, ready);
    });
    return { outcome: 'success' };
  }

  // ---------------------------------------------------------------- helpers
  private members(ac: AssembledClusterLike): KureResource[] {
    const out: KureResource[] = [];
    for (const ref of ac.members) {
      const obj = this.d.cache.get(ref.kind, ref.namespace, ref.name);
      if (obj) out.push(obj);
    }
    return out;
  }

  private async writeMembers(
    members: KureResource[],
    byRef: Map<string, Problem[]>,
    clusterRef: string,
    ready: { cluster: ReadyInput; member: ReadyInput },
    clusterExtra: Record<string, unknown> = {},
  ): Promise<void> {
    await pool(members, this.d.statusConcurrency ?? 16, (obj) => {
      const k = refKey(refOf(obj));
      const own = byRef.get(k);
      if (k === clusterRef) return this.writeStatus(obj, ready.cluster, clusterExtra);
      // Own problems win (e.g. a NotAllowed application of a rendered cluster).
      return this.writeStatus(obj, own?.length ? problemsReady(own) : ready.member);
    });
  }

  /** Patches the status subresource when (and only when) the status changes. */
  async writeStatus(obj: KureResource, ready: ReadyInput, extra: Record<string, unknown> = {}): Promise<void> {
    const k = refKey(refOf(obj));
    const rv = obj.metadata.resourceVersion;
    const mine = this.written.get(k);
    // Our previous write may not have reached the cache yet: compare against what we wrote.
    const current = (mine && mine.before === rv ? mine.status : obj.status) as Record<string, unknown> | undefined;
    const next = nextStatus(current, obj.metadata.generation, ready, this.now(), extra);
    if (statusEqual(current, next)) return;
    await this.d.kube.patchStatus(obj.kind as KureKind, obj.metadata.namespace ?? '', obj.metadata.name, next);
    this.written.set(k, { before: rv, status: next });
    if (this.written.size > 50_000) this.written.clear();
  }

  /**
   * The commit message for a sync: names the resources whose files changed, with their
   * generations; files that were removed are credited to the owner they had in the last tree this
   * process committed for the cluster (the cluster itself when not known, e.g. after a restart).
   * `owners` is called only when there is something to commit.
   */
  private commitMessage(key: string, ac: AssembledClusterLike, owners: () => ReadonlyMap<string, ObjectRef>): (changedPaths: string[], drifted: string[]) => string {
    const previous = this.lastOwners.get(key);
    return (changedPaths, drifted) => {
      const now = owners();
      const restored = new Set(drifted);
      const refs = new Map<string, ObjectRef>();
      const credit = (ref: ObjectRef) => refs.set(refKey(ref), ref);
      for (const p of changedPaths) {
        if (restored.has(p)) continue; // restored, not changed by a resource
        const ref = now.get(p) ?? previous?.get(p) ?? (p.endsWith('kustomization.yaml') ? undefined : ac.model.ref);
        if (ref) credit(ref);
      }
      // Only index files changed (an owner's file was removed and its owner is unknown): the cluster.
      if (refs.size === 0 && drifted.length < changedPaths.length) credit(ac.model.ref);
      const changed: ChangedObject[] = [...refs.values()]
        .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || cmp(formatRef(a), formatRef(b)))
        .map((ref) => {
          const obj = this.d.cache.get(ref.kind, ref.namespace, ref.name);
          return { ref: formatRef(ref), ...(obj ? { generation: obj.metadata.generation ?? 0 } : {}) };
        });
      return provenanceMessage({ cluster: key, changed, changedPaths, drifted, version: VERSION });
    };
  }

  private warn(cluster: KureCluster, reason: string, message: string): void {
    void this.d.events.record(asTarget(cluster), 'Warning', reason, message);
  }

  /** The Git target of a cluster: from its model, else from its spec with the defaults. */
  private async target(cluster: KureCluster, ac: AssembledClusterLike | undefined): Promise<GitTarget | { problem: string; reason: string }> {
    const repo = ac?.model.repository;
    const spec = cluster.spec?.repository;
    const url = repo?.url ?? spec?.url;
    if (!url) return { problem: 'spec.repository.url is not set', reason: Reason.InvalidSpec };
    const target: GitTarget = {
      url,
      branch: repo?.branch ?? spec?.branch ?? DEFAULTS.branch,
      path: repo?.path ?? specPath(cluster),
      author: repo?.author ?? spec?.author ?? { ...DEFAULTS.author },
    };
    const secretName = repo?.secretRef ?? spec?.secretRef?.name;
    if (secretName) {
      const auth = await this.credentials(cluster.metadata.namespace ?? '', secretName);
      if ('problem' in auth) return auth;
      target.auth = auth;
    }
    return target;
  }

  /**
   * The Git credentials of Secret namespace/name. The informer caches only Secrets labelled
   * kure.dev/credentials=true, so a Secret the cache lacks is either absent or unlabelled: a
   * metadata-only GET tells which, without its data ever reaching Kure. An unlabelled Secret is never
   * used, even when Kure's RBAC would let it read it.
   */
  private async credentials(namespace: string, name: string): Promise<GitAuth | { problem: string; reason: string }> {
    const where = `Secret ${namespace}/${name} (spec.repository.secretRef)`;
    const allowed = this.d.credentialsNamespaces;
    if (allowed && !allowed.includes(namespace)) {
      // Kure has no right to read Secrets here (the chart grants them only in these namespaces).
      return {
        problem: `${where}: Kure reads credentials only in namespace${allowed.length === 1 ? '' : 's'} ${allowed.join(', ')} (--credentials-namespaces, chart value controller.credentialsNamespaces); keep this KureCluster and its Secret in one of them, or add ${namespace}`,
        reason: Reason.NotAllowed,
      };
    }
    const notFound = { problem: `${where} not found`, reason: Reason.NotFound };
    const unlabelled = {
      problem: `${where} is not labelled ${CREDENTIALS_SELECTOR}; Kure only reads labelled Secrets: kubectl -n ${namespace} label secret ${name} ${CREDENTIALS_SELECTOR}`,
      reason: Reason.SecretNotLabelled,
    };
    let secret = this.d.cache.secret(namespace, name);
    if (!secret) {
      const metadata = await this.d.kube.readSecretMetadata(namespace, name);
      if (!metadata) return notFound;
      if (!isCredentialsSecret(metadata)) return unlabelled;
      // Labelled, but the watch has not delivered it yet.
    } else if (!isCredentialsSecret(secret.metadata)) {
      return unlabelled;
    }
    if (!secret?.data) {
      // The cache keeps the data of referenced Secrets only (or has not seen this one yet): read it.
      secret = await this.d.kube.readSecret(namespace, name);
      if (!secret) return notFound;
      if (!isCredentialsSecret(secret.metadata)) return unlabelled;
    }
    const data = decodeSecret(secret);
    if (!data) return notFound;
    if (data.token) return { token: data.token };
    if (data.username !== undefined && data.password !== undefined) return { username: data.username, password: data.password };
    return { problem: `${where} must have the keys username and password, or token`, reason: Reason.NotFound };
  }
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? s;
}

/** repository.path of a cluster that could not be assembled (deletion of a malformed cluster). */
function specPath(cluster: KureCluster): string {
  const p = normalizeRepoPath(cluster.spec?.repository?.path ?? `clusters/${cluster.metadata.name}`);
  return 'path' in p ? p.path : '';
}

function asTarget(r: KureResource) {
  return { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata };
}
