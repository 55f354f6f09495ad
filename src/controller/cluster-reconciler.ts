// THE business logic for a KureCluster and its members: assemble the cluster's own part of the
// fleet (from the index: a change costs its cluster, not the fleet), render it when it may, sync
// the tree to Git (the sink makes no commit when nothing changed), then — in ONE final step — write
// every member's status, record the Event and the per-cluster metrics. Each branch only decides the
// Verdict; none writes. The contract (return, throw, throw TerminalError) is in reconcile.ts.
import type { KureCluster, KureResource } from '../api/schema.js';
import { clusterKeyOf, parentKeyOf, splitClusterKey, type ClusterKey } from '../model/fleet-index.js';
import { cmp, formatProblem, formatRef, formatRefKey, refKey, refOf } from '../model/problems.js';
import { repositoryOf } from '../model/repository.js';
import type { ClusterModel, FileTree, ObjectRef, Problem } from '../model/types.js';
import { isolate, isolateOnBranch, keptPaths } from './isolation.js';
import { describeChanges, provenanceMessage, type ChangedObject } from '../git/message.js';
import type { CommitMessage, GitSink } from '../git/sink.js';
import type { SigningKey } from '../git/sign.js';
import { ForgeError, GITHUB_APP_KEYS, credentialsFromSecret, syncClusterPullRequest, writeModeOf } from '../forge/index.js';
import { VERSION } from '../version.js';
import { gitErrorKind, type AssembledClusterLike, type GitAuth, type GitTarget, type Pipeline, type ResourceCache, type Sink, type SyncResult } from './contracts.js';
import type { EventRecorder, EventType } from './events.js';
import { FINALIZER, hasFinalizer, withFinalizer, withoutFinalizer } from './finalizer.js';
import { REQUESTED_AT } from './handlers.js';
import { CREDENTIALS_SELECTOR, decodeSecret, isCredentialsSecret, type KureWriter } from './kube.js';
import { displayUrl, scrubString, type Logger } from './logger.js';
import type { ControllerMetrics } from './metrics.js';
import type { EngineNotifier } from './notify.js';
import { pokesAfterPush } from './notify.js';
import { TerminalError, TransientError, type ClusterRequest, type Reconciler, type Result } from './reconcile.js';
import { Reason, type ReadyInput } from './status.js';
import { StatusWriter, type StatusExtra } from './status-writer.js';

const KIND_ORDER = ['KureCluster', 'KureNode', 'KureBundle', 'KureApplication'];

export interface ClusterReconcilerDeps {
  cache: ResourceCache;
  kube: KureWriter;
  sink: Sink;
  pipeline: Pipeline;
  events: Pick<EventRecorder, 'record'>;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Asks the GitOps engine to reconcile now after a push (notify.ts); absent: it polls Git. */
  notifier?: Pick<EngineNotifier, 'notify'>;
  /** Namespaces whose Secrets may be read as credentials (--credentials-namespaces); undefined: every watched one. */
  credentialsNamespaces?: readonly string[];
  statuses?: StatusWriter;
  now?: () => Date;
}

/** Why a cluster has no Git target now; `transient`: retried with backoff (a forge that did not answer). */
interface TargetProblem {
  problem: string;
  reason: string;
  transient?: boolean;
}

/** What one reconcile decided. The final step (`conclude`) writes it; nothing else writes status. */
interface Verdict {
  cluster: ReadyInput;
  /** Ready of members without problems of their own. */
  member: ReadyInput;
  /** Members reached no valid cluster (the cluster itself is malformed): their own problems or NoCluster. */
  membersDetached?: boolean;
  extra?: StatusExtra;
  /**
   * Members of bundles held back (isolation.ts): what they say, and what one with problems of its
   * own adds to them (where its state is now).
   */
  heldBack?: Map<string, { ready: ReadyInput; note: string }>;
  /** After a sync: the head that holds every member's current generation, and the members this commit changed. */
  carries?: { sha: string; changed: ReadonlySet<string> };
  event?: { type: EventType; reason: string; message: string; action?: string };
  /** A Warning recorded beside `event` (held-back parts: the push's own Event does not replace it). */
  warning?: { reason: string; message: string };
  /** How the reconcile ends: a Result, or the error to throw (transient or terminal). */
  end: Result | Error;
}

/** Problems of one object, as the Ready condition shows them. */
export function problemsReady(problems: readonly Problem[]): ReadyInput {
  return { status: 'False', reason: problems[0]?.reason ?? Reason.InvalidSpec, message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), stalled: true };
}

export const NO_CLUSTER: ReadyInput = {
  status: 'False',
  reason: Reason.NoCluster,
  message: 'not part of any valid KureCluster: follow clusterRef/parentRef/nodeRef/bundleRef up to a KureCluster that exists and is valid',
  stalled: true,
};

function summarize(problems: readonly Problem[], max = 5): string {
  const shown = problems.slice(0, max).map(formatProblem);
  const more = problems.length > max ? `; … and ${problems.length - max} more` : '';
  return `${problems.length} problem${problems.length === 1 ? '' : 's'} in the hierarchy: ${shown.join('; ')}${more}`;
}

const failed = (reason: string, message: string, how: 'terminal' | 'transient'): Error =>
  how === 'terminal' ? new TerminalError(message, reason) : new TransientError(message, reason);

export class ClusterReconciler implements Reconciler<ClusterRequest> {
  private readonly now: () => Date;
  private readonly statuses: StatusWriter;
  /** File owners of the tree last committed per cluster: credits removed files to their former owner. */
  private readonly lastOwners = new Map<ClusterKey, ReadonlyMap<string, ObjectRef>>();
  /** The model last pushed per cluster: what a bundle or node with problems is held back at. */
  private readonly lastGood = new Map<ClusterKey, ClusterModel>();

  constructor(private readonly d: ClusterReconcilerDeps) {
    this.now = d.now ?? (() => new Date());
    this.statuses = d.statuses ?? new StatusWriter(d.kube, this.now);
  }

  async reconcile(req: ClusterRequest, signal?: AbortSignal): Promise<Result> {
    const key = clusterKeyOf(req.namespace, req.name);
    const cluster = this.d.cache.get('KureCluster', req.namespace, req.name) as KureCluster | undefined;
    if (!cluster) {
      this.forget(req);
      return {};
    }
    if (cluster.metadata.deletionTimestamp) return this.finalize(cluster, signal);
    if (!hasFinalizer(cluster)) {
      await this.d.kube.setFinalizers('KureCluster', req.namespace, req.name, withFinalizer(cluster), cluster.metadata.resourceVersion);
    }

    const t0 = performance.now();
    const result = this.d.pipeline.assemble(this.d.cache.index.clusterInput(key));
    const timings: Record<string, number> = { assembleMs: Math.round(performance.now() - t0) };
    const ac = result.clusters.find((c) => c.key === key);
    // What reaches this cluster only through a deleted bundle or node (a tombstone of the index):
    // it does not assemble into the cluster, and its problems (NotFound) hold that part back.
    const underDeleted = ac ? (result.detached ?? []).filter((r) => r.kind !== 'KureCluster') : [];
    const orphaned = ac ? result.orphans.filter((p) => p.ref.kind !== 'KureCluster') : [];
    const problems = ac ? [...ac.problems, ...orphaned] : result.problems;
    const byRef = new Map<string, Problem[]>();
    for (const p of problems) byRef.set(refKey(p.ref), [...(byRef.get(refKey(p.ref)) ?? []), p]);
    // A malformed cluster has no model: what would be its members reach no valid cluster.
    const members = ac ? this.members([...ac.members, ...underDeleted]) : (result.detached ?? []).map((r) => this.d.cache.get(r.kind, r.namespace, r.name)).filter((o): o is KureResource => !!o);
    if (!members.some((m) => m.kind === 'KureCluster')) members.unshift(cluster);

    const verdict = ac ? await this.decide(key, cluster, ac, orphaned, timings, signal) : this.malformed(cluster, byRef);
    const t1 = performance.now();
    try {
      return await this.conclude(cluster, members, byRef, verdict);
    } finally {
      this.d.logger.debug({ cluster: key, members: members.length, ...timings, statusMs: Math.round(performance.now() - t1) }, 'reconciled');
    }
  }

  /** The Verdict for a cluster that assembled (it may still have problems). Syncs to Git when it may. */
  private async decide(key: ClusterKey, cluster: KureCluster, ac: AssembledClusterLike, orphaned: readonly Problem[], timings: Record<string, number>, signal?: AbortSignal): Promise<Verdict> {
    if (cluster.spec.suspend) {
      return {
        cluster: { status: 'False', reason: Reason.Suspended, message: 'spec.suspend is true: nothing is rendered or pushed until it is false' },
        member: { status: 'False', reason: Reason.Suspended, message: `KureCluster ${key} is suspended (spec.suspend: true)` },
        end: {},
      };
    }
    const notReady = (reason: string, message: string, memberMessage: string, how: 'terminal' | 'transient', extra: Partial<Verdict> = {}): Verdict => ({
      cluster: { status: 'False', reason, message, stalled: how === 'terminal', retrying: how === 'transient' },
      member: { status: 'False', reason: Reason.ClusterNotReady, message: memberMessage, stalled: how === 'terminal', retrying: how === 'transient' },
      event: { type: 'Warning', reason, message },
      end: failed(reason, message, how),
      ...extra,
    });

    let model = ac.model;
    let heldBack: Map<string, Problem[]> | undefined;
    let notInGit: ReadonlySet<string> = new Set();
    /** Held-back bundles rendered as stubs whose files the sink keeps as the branch has them (after a restart). */
    let stubs: ReadonlySet<string> | undefined;
    if (!this.d.pipeline.isRenderable(ac) || orphaned.length) {
      // Failure stays where it starts: hold back only the bundles and nodes with problems, when that
      // is possible; so is what hangs under a deleted bundle or node (never pruned by surprise).
      const blocking = [...ac.problems.filter((p) => !p.leftOut), ...orphaned];
      const last = this.lastGood.get(key);
      const scopeOf = (p: Problem) => this.scopeOf(p);
      // Nothing pushed by this process yet: what Git holds of a held-back bundle is read back from the branch.
      const iso = last || writeModeOf(cluster.spec.repository) === 'pullRequest' ? isolate(ac.model, blocking, scopeOf, last) : isolateOnBranch(ac.model, blocking, scopeOf, (b) => this.placeOf(b));
      if ('reason' in iso) {
        const clusterOwn = ac.problems.filter((p) => refKey(p.ref) === refKey(ac.model.ref));
        const reason = clusterOwn[0]?.reason ?? blocking[0]?.reason ?? Reason.InvalidSpec;
        return notReady(
          reason,
          `not rendered, nothing pushed: ${summarize(blocking)} (the cluster as a whole is held: ${iso.reason})`,
          `KureCluster ${key} is not rendered: ${blocking.length} problem(s) in its hierarchy (kubectl describe kurecluster -n ${cluster.metadata.namespace} ${cluster.metadata.name})`,
          'terminal',
        );
      }
      model = iso.model;
      heldBack = iso.heldBack;
      notInGit = iso.notInGit;
      stubs = iso.stubs;
    }

    let tree;
    const t0 = performance.now();
    try {
      tree = this.d.pipeline.render(model);
      timings.renderMs = Math.round(performance.now() - t0);
    } catch (err) {
      const message = `render failed: ${(err as Error).message}`;
      return notReady(Reason.InvalidSpec, message, `KureCluster ${key} could not be rendered`, 'terminal');
    }

    const target = await this.target(cluster);
    if ('problem' in target) {
      // Not retried (unless transient): the Secret informer brings the cluster back when the Secret appears, gets its label or changes.
      return notReady(target.reason, target.problem, `KureCluster ${key} cannot push: ${target.problem}`, target.transient ? 'transient' : 'terminal');
    }

    if (writeModeOf(cluster.spec.repository) === 'pullRequest') return this.throughPullRequest(key, cluster, target, tree, this.commitMessage(key, ac, () => this.d.pipeline.owners?.(model, tree) ?? new Map()), signal);

    const where = `${displayUrl(target.url)} branch ${target.branch} path ${target.path || '.'}`;
    // File owners, for the commit message: found only when there is something to commit.
    let owners: ReadonlyMap<string, ObjectRef> | undefined;
    const ownersOf = () => (owners ??= this.d.pipeline.owners?.(model, tree) ?? new Map<string, ObjectRef>());
    let sync: SyncResult;
    const credited = new Set<string>();
    const t1 = performance.now();
    try {
      // The sink runs one operation at a time per repository and branch (the one lock there is).
      const keep = stubs && keptPaths(model, stubs, ownersOf());
      sync = await this.d.sink.sync(target, tree, this.commitMessage(key, ac, ownersOf, credited), signal, keep);
      if (owners) this.lastOwners.set(key, owners);
      timings.gitMs = Math.round(performance.now() - t1);
    } catch (err) {
      if (signal?.aborted) throw err;
      const kind = gitErrorKind(err) ?? 'other';
      this.d.metrics?.gitErrors.inc({ kind });
      const message = `push to ${where} failed (${kind}): ${scrubString((err as Error).message ?? String(err))}`;
      // Refused credentials are not retried: a dozen failed logins lock accounts on real forges.
      // The Secret informer brings the cluster back when its Secret changes.
      // Neither is a protected branch (writeMode pullRequest is the way) nor a branch that does not exist (createBranch).
      const how = kind === 'auth' || kind === 'protected' || kind === 'branch-not-found' ? 'terminal' : 'transient';
      return notReady(Reason.GitError, message, `KureCluster ${key} could not push to Git (GitError); see its status`, how);
    }

    // A model with stubs is not a last good state: the branch still is, until the bundles are fixed.
    if (!stubs) this.lastGood.set(key, model);
    const verdict: Verdict = {
      cluster: { status: 'True', reason: Reason.Rendered, message: `Rendered ${tree.size} file(s) into ${where}` },
      member: { status: 'True', reason: Reason.Rendered, message: `Rendered as part of KureCluster ${key}` },
      carries: { sha: sync.sha, changed: credited },
      end: {},
    };
    if (heldBack?.size) {
      const names = [...heldBack.keys()].map((b) => formatRefKey(b) + (this.d.cache.index.isTombstone(b) ? ' (deleted, with objects still under it)' : ''));
      verdict.cluster = { ...verdict.cluster, reason: Reason.Degraded, message: `${verdict.cluster.message}; held back at their last good state: ${names.join(', ')} (kubectl describe them)` };
      verdict.heldBack = new Map();
      for (const [b, problems] of heldBack) {
        const note = notInGit.has(b)
          ? 'not rendered until this is fixed'
          : `${stubs?.has(b) ? 'what Git holds of it' : 'its last good state'} stays in Git until this is fixed, or it is deleted or re-parented`;
        const state = notInGit.has(b)
          ? 'not rendered until it is fixed (Git holds nothing of it yet)'
          : stubs?.has(b)
            ? 'held back at what Git holds of it (read back from the branch: this process has not pushed it yet)'
            : 'held back at its last good state in Git';
        const ready: ReadyInput = { status: 'False', reason: Reason.HeldBack, message: `${formatRefKey(b)} is ${state}: ${summarize(problems)}`, stalled: true };
        // subtree() walks a tombstone's children too: the objects under a deleted bundle or node.
        for (const m of this.d.cache.index.subtree(b)) verdict.heldBack.set(refKey(refOf(m)), { ready, note });
      }
      verdict.warning = { reason: Reason.Degraded, message: `held back at their last good state: ${names.join(', ')}` };
    }
    if (!sync.changed && sync.sha && (cluster.status as { lastCommit?: { sha?: string } } | undefined)?.lastCommit?.sha !== sync.sha && sync.message?.includes(`\nKure-Cluster: ${key}\n`)) {
      // The head is a commit of this cluster's that status does not name (pushed, then the process
      // was killed before it wrote status): record it now.
      verdict.extra = { lastCommit: { sha: sync.sha, time: sync.time ?? this.now().toISOString(), message: firstLine(sync.message) } };
    }
    if (sync.changed) {
      this.d.metrics?.gitCommits.inc();
      this.d.metrics?.clusterLastPush.set({ namespace: cluster.metadata.namespace ?? '', cluster: cluster.metadata.name }, Date.parse(sync.time ?? this.now().toISOString()) / 1000);
      verdict.extra = { lastCommit: { sha: sync.sha, time: sync.time ?? this.now().toISOString(), message: firstLine(sync.message ?? describeChanges(key, sync.changedPaths)) } };
      verdict.event = { type: 'Normal', reason: 'Committed', message: `Pushed ${sync.sha.slice(0, 12)} to ${where}: ${sync.changedPaths.length} file(s) changed`, action: 'Push' };
      this.d.logger.info({ cluster: key, sha: sync.sha, files: sync.changedPaths.length, attempts: sync.attempts }, 'pushed commit');
      await this.d.notifier?.notify(key, pokesAfterPush(ac.model, sync.changedPaths, this.now()));
    }
    return verdict;
  }

  /**
   * writeMode pullRequest (src/forge): Kure's own branch rebuilt from the base, one pull request
   * opened or updated, merged when asked and allowed. Ready only once the base holds the tree.
   */
  private async throughPullRequest(key: ClusterKey, cluster: KureCluster, target: GitTarget, tree: FileTree, message: CommitMessage, signal?: AbortSignal): Promise<Verdict> {
    const member = (ready: ReadyInput): ReadyInput => (ready.status === 'True' ? { ...ready, message: `Rendered as part of KureCluster ${key}` } : { ...ready, reason: Reason.ClusterNotReady, message: `KureCluster ${key}: ${ready.reason}: ${ready.message}` });
    const verdict = (ready: ReadyInput, end: Result | Error, extra?: StatusExtra, event?: Verdict['event']): Verdict => ({ cluster: ready, member: member(ready), end, ...(extra ? { extra } : {}), ...(event ? { event } : {}) });
    if (!this.d.sink.rebuild) return verdict({ status: 'False', reason: Reason.InvalidSpec, message: 'writeMode pullRequest needs the Git sink of src/git', stalled: true }, new TerminalError('no rebuild', Reason.InvalidSpec));
    const creds = target.auth ?? {};
    let r;
    try {
      r = await syncClusterPullRequest(this.d.sink as Pick<GitSink, 'rebuild'>, splitClusterKey(key), cluster.spec.repository, target, creds, tree, message, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      const forge = err instanceof ForgeError;
      const kind = forge ? err.kind : (gitErrorKind(err) ?? 'other');
      const reason = forge ? Reason.ForgeError : Reason.GitError;
      const text = `pull request for ${displayUrl(target.url)} failed (${kind}): ${scrubString((err as Error).message)}`;
      if (kind === 'rate-limit') {
        const after = ((err as ForgeError).retryAfterSeconds ?? 60) * 1000;
        return verdict({ status: 'False', reason, message: `${text}; retrying in ${Math.round(after / 1000)} s`, retrying: true }, { requeueAfterMs: after });
      }
      const how = kind === 'auth' || kind === 'invalid' ? 'terminal' : 'transient';
      return verdict({ status: 'False', reason, message: text, stalled: how === 'terminal', retrying: how === 'transient' }, failed(reason, text, how), undefined, { type: 'Warning', reason, message: text });
    }
    const pullRequest = { ...(r.pullRequest ?? {}), phase: r.phase, branch: r.branch };
    if (r.sync.changed) this.d.metrics?.gitCommits.inc();
    switch (r.phase) {
      case 'Merged': {
        const extra: StatusExtra = { pullRequest, ...(r.sync.changed || r.pullRequest ? { lastCommit: { sha: r.baseSha, time: this.now().toISOString(), message: firstLine(r.message) } } : {}) };
        return verdict({ status: 'True', reason: Reason.Merged, message: `${r.message} (${target.branch} at ${r.baseSha.slice(0, 12)})` }, {}, extra);
      }
      case 'Closed':
        // Not re-opened in a loop: the next change of the desired tree opens a new one.
        return verdict({ status: 'False', reason: Reason.PullRequestClosed, message: r.message, stalled: true }, {}, { pullRequest }, { type: 'Warning', reason: Reason.PullRequestClosed, message: r.message });
      default:
        // Open or conflicting: look again soon (checks, reviews, a person's merge).
        return verdict({ status: 'False', reason: r.phase, message: r.message, retrying: true }, { requeueAfterMs: 30_000 }, { pullRequest }, r.sync.changed ? { type: 'Normal', reason: r.phase, message: r.message, action: 'PullRequest' } : undefined);
    }
  }

  private malformed(cluster: KureCluster, byRef: Map<string, Problem[]>): Verdict {
    const own = byRef.get(refKey(refOf(cluster))) ?? [];
    const ready = own.length ? problemsReady(own) : { status: 'False' as const, reason: Reason.InvalidSpec, message: 'the cluster could not be assembled', stalled: true };
    return { cluster: ready, member: NO_CLUSTER, membersDetached: true, event: { type: 'Warning', reason: ready.reason, message: ready.message }, end: new TerminalError(ready.message, ready.reason) };
  }

  /** The one final step: every member's status, the Event, the cluster's metrics; then return or throw. */
  private async conclude(cluster: KureCluster, members: readonly KureResource[], byRef: Map<string, Problem[]>, v: Verdict): Promise<Result> {
    const clusterRef = refKey(refOf(cluster));
    const handled = cluster.metadata.annotations?.[REQUESTED_AT];
    const clusterExtra: StatusExtra = { ...v.extra, ...(handled ? { lastHandledReconcileAt: handled } : {}) };
    // The cluster's own status now (it says what was pushed); the members' in the background.
    await this.statuses.write(cluster, v.cluster, clusterExtra);
    for (const obj of members) {
      const k = refKey(refOf(obj));
      if (k === clusterRef) continue;
      const own = byRef.get(k);
      const held = v.heldBack?.get(k);
      if (own?.length) {
        // Own problems win (e.g. a NotAllowed application of a rendered cluster), and are told as
        // an Event on the object itself when they first show.
        const mine = problemsReady(own);
        const ready = held ? { ...mine, message: `${mine.message}; ${held.note}` } : mine;
        this.statuses.enqueue(obj, ready, undefined, () => void this.d.events.record(asTarget(obj), 'Warning', ready.reason, ready.message));
        continue;
      }
      if (held) this.statuses.enqueue(obj, held.ready);
      else this.statuses.enqueue(obj, v.member, v.carries && carriesNews(obj, k, v.carries.changed) ? { commit: v.carries.sha } : undefined);
    }
    if (v.event) void this.d.events.record(asTarget(cluster), v.event.type, v.event.reason, v.event.message, v.event.action);
    if (v.warning) void this.d.events.record(asTarget(cluster), 'Warning', v.warning.reason, v.warning.message);
    this.d.metrics?.clusterReady.set({ namespace: cluster.metadata.namespace ?? '', cluster: cluster.metadata.name }, v.cluster.status === 'True' ? 1 : 0);
    if (v.end instanceof Error) throw v.end;
    return v.end;
  }

  /**
   * The bundle or node (refKey) a problem's object is held back with: a bundle or node itself, or
   * an application's bundle (which may be deleted: a tombstone). The cluster's own: none.
   */
  private scopeOf(p: Problem): string | undefined {
    if (p.ref.kind === 'KureBundle' || p.ref.kind === 'KureNode') return refKey(p.ref);
    if (p.ref.kind !== 'KureApplication') return undefined;
    const app = this.d.cache.get(p.ref.kind, p.ref.namespace, p.ref.name);
    const parent = app && parentKeyOf(app);
    const index = this.d.cache.index;
    return parent?.startsWith('KureBundle/') && (index.byKey(parent) || index.isTombstone(parent)) ? parent : undefined;
  }

  /**
   * The node path (names from the top) of bundle `key`, from the index's links, which deleted and
   * deleting nodes keep; undefined when the chain does not end at a cluster.
   */
  private placeOf(key: string): string[] | undefined {
    const index = this.d.cache.index;
    const path: string[] = [];
    for (let k = index.parentOf(key); k; k = index.parentOf(k)) {
      if (k.startsWith('KureCluster/')) return path;
      if (!k.startsWith('KureNode/') || path.length > 256) return undefined;
      path.unshift(k.slice(k.lastIndexOf('/') + 1));
    }
    return undefined;
  }

  /** A cluster that is gone: drop what was kept for it. */
  private forget(req: ClusterRequest): void {
    this.lastOwners.delete(clusterKeyOf(req.namespace, req.name));
    this.lastGood.delete(clusterKeyOf(req.namespace, req.name));
    this.d.pipeline.forget?.(req);
    this.d.metrics?.clusterReady.remove({ namespace: req.namespace, cluster: req.name });
    this.d.metrics?.clusterLastPush.remove({ namespace: req.namespace, cluster: req.name });
  }

  // ---------------------------------------------------------------- deletion
  private async finalize(cluster: KureCluster, signal?: AbortSignal): Promise<Result> {
    const key = clusterKeyOf(cluster.metadata.namespace ?? '', cluster.metadata.name);
    if (!hasFinalizer(cluster)) return {};
    const policy = cluster.spec?.deletionPolicy ?? 'Retain';
    // Suspended means never push, deletion included.
    if (policy === 'Delete' && !cluster.spec.suspend) {
      const failure = await this.removeTree(key, cluster, signal);
      if (failure) {
        // Retried with backoff: the cluster waits on its finalizer until its path is removed.
        const message = `deletionPolicy Delete: ${failure.message} (set spec.deletionPolicy: Retain to release it without touching Git)`;
        await this.statuses.write(cluster, { status: 'False', reason: failure.reason, message, retrying: true });
        void this.d.events.record(asTarget(cluster), 'Warning', failure.reason, message);
        throw new TransientError(message, failure.reason);
      }
    }
    await this.d.kube.setFinalizers('KureCluster', cluster.metadata.namespace ?? '', cluster.metadata.name, withoutFinalizer(cluster), cluster.metadata.resourceVersion);
    this.d.logger.info({ cluster: key, deletionPolicy: policy }, `removed finalizer ${FINALIZER}`);
    this.forget(splitClusterKey(key));
    return {};
  }

  /** Removes repository.path from the branch in one commit; the failure, if any. */
  private async removeTree(key: ClusterKey, cluster: KureCluster, signal?: AbortSignal): Promise<{ reason: string; message: string } | undefined> {
    const repo = repositoryOf(cluster);
    if (!repo.url || !repo.path) {
      // No valid repository or path: nothing Kure wrote can be found there. Released, and said so.
      void this.d.events.record(asTarget(cluster), 'Warning', Reason.InvalidSpec, 'deletionPolicy Delete: spec.repository has no valid url or path, so there is nothing Kure can remove; Git was left alone');
      return undefined;
    }
    const target = await this.target(cluster);
    if ('problem' in target) return { reason: target.reason, message: target.problem };
    const where = `${displayUrl(target.url)} branch ${target.branch} path ${target.path}`;
    try {
      const res = await this.d.sink.remove(target, `kure: remove ${key} (KureCluster deleted, deletionPolicy Delete)\n\nRemoves ${target.path}.`, signal);
      if (res.changed) {
        this.d.metrics?.gitCommits.inc();
        void this.d.events.record(asTarget(cluster), 'Normal', 'Deleted', `Removed ${target.path} from ${where} in ${res.sha.slice(0, 12)}`, 'Delete');
      }
      return undefined;
    } catch (err) {
      if (signal?.aborted) throw err;
      const kind = gitErrorKind(err) ?? 'other';
      this.d.metrics?.gitErrors.inc({ kind });
      return { reason: Reason.GitError, message: `removing ${target.path} from ${where} failed (${kind}): ${scrubString((err as Error).message)}` };
    }
  }

  // ---------------------------------------------------------------- helpers
  private members(refs: readonly ObjectRef[]): KureResource[] {
    const out: KureResource[] = [];
    for (const ref of refs) {
      const obj = this.d.cache.get(ref.kind, ref.namespace, ref.name);
      if (obj) out.push(obj);
    }
    return out;
  }

  /**
   * The commit message for a sync: names the resources whose files changed, with their
   * generations; files that were removed are credited to the owner they had in the last tree this
   * process committed for the cluster (the cluster itself when not known, e.g. after a restart).
   * `owners` is called only when there is something to commit.
   */
  private commitMessage(key: ClusterKey, ac: AssembledClusterLike, owners: () => ReadonlyMap<string, ObjectRef>, credited?: Set<string>): (changedPaths: string[], drifted: string[]) => string {
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
      for (const k of refs.keys()) credited?.add(k);
      const changed: ChangedObject[] = [...refs.values()]
        .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || cmp(formatRef(a), formatRef(b)))
        .map((ref) => {
          const obj = this.d.cache.get(ref.kind, ref.namespace, ref.name);
          return { ref: formatRef(ref), ...(obj ? { generation: obj.metadata.generation ?? 0 } : {}) };
        });
      return provenanceMessage({ cluster: key, changed, changedPaths, drifted, version: VERSION });
    };
  }

  /** The Git target of a cluster, from its spec with the defaults (repository.ts), with its credentials. */
  private async target(cluster: KureCluster): Promise<GitTarget | TargetProblem> {
    const repo = repositoryOf(cluster);
    if (!repo.url) return { problem: 'spec.repository.url is not set', reason: Reason.InvalidSpec };
    const spec = cluster.spec.repository;
    const target: GitTarget = { url: repo.url, branch: repo.branch, path: repo.path ?? '', author: repo.author, ...(spec?.createBranch ? { createBranch: true } : {}) };
    if (repo.secretRef) {
      const creds = await this.credentials(cluster, repo.secretRef, spec?.signCommits === true);
      if ('problem' in creds) return creds;
      target.auth = creds.auth;
      if (creds.signingKey) target.signingKey = creds.signingKey;
    }
    return target;
  }

  /**
   * The Git credentials of Secret namespace/name. The informer caches only Secrets labelled
   * kure.dev/credentials=true, so a Secret the cache lacks is either absent or unlabelled: a
   * metadata-only GET tells which, without its data ever reaching Kure. An unlabelled Secret is never
   * used, even when Kure's RBAC would let it read it.
   */
  private async credentials(cluster: KureCluster, name: string, signing: boolean): Promise<{ auth: GitAuth; signingKey?: SigningKey } | TargetProblem> {
    const namespace = cluster.metadata.namespace ?? '';
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
    let auth: GitAuth | undefined;
    if (GITHUB_APP_KEYS.some((k) => data[k])) {
      // A GitHub App: an installation token, minted from the App's key and renewed before it expires
      // (cached; no call while it is fresh), for both Git and the forge API.
      const repo = cluster.spec.repository;
      try {
        auth = (await credentialsFromSecret(data, repo.pullRequest?.apiUrl, { cloneUrl: repo.url })).git;
      } catch (err) {
        const kind = err instanceof ForgeError ? err.kind : 'network';
        const problem = `${where}: GitHub App token (${kind}): ${scrubString((err as Error).message)}`;
        return kind === 'auth' ? { problem, reason: Reason.ForgeError } : { problem, reason: Reason.ForgeError, transient: true };
      }
    } else if (data.token) auth = { token: data.token };
    else if (data.username !== undefined && data.password !== undefined) auth = { username: data.username, password: data.password };
    if (!auth) return { problem: `${where} must have the keys username and password, or token, or githubAppID, githubAppInstallationID and githubAppPrivateKey`, reason: Reason.NotFound };
    if (!signing) return { auth };
    if (!data.signingKey) return { problem: `${where} must have the key signingKey (an armored OpenPGP private key): spec.repository.signCommits is true`, reason: Reason.NotFound };
    return { auth, signingKey: { armoredKey: data.signingKey, ...(data.signingKeyPassphrase ? { passphrase: data.signingKeyPassphrase } : {}) } };
  }
}

/**
 * Whether `obj`'s status.commit must move to the head just synced: this commit changed its files,
 * or its current generation was not in Git at the last status (status.commit then names the first
 * commit that holds it; later commits of other members leave it alone).
 */
function carriesNews(obj: KureResource, key: string, changed: ReadonlySet<string>): boolean {
  const status = obj.status as { commit?: string; conditions?: { type: string; observedGeneration?: number }[] } | undefined;
  const seen = status?.conditions?.find((c) => c.type === 'Ready')?.observedGeneration;
  return changed.has(key) || !status?.commit || seen !== obj.metadata.generation;
}


function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? s;
}

export function asTarget(r: KureResource) {
  return { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata };
}
