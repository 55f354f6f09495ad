// The manager only wires and runs, as controller-runtime's does: informers feed the fleet index,
// handlers (pure) turn each watch event into requests for three controllers — `kurecluster` (a
// cluster and its members), `detached` (an object that reaches no cluster) and `in-use` (the
// finalizer of a node or bundle) — whose workers run
// only on the leader; a resync timer re-queues every cluster; an HTTP server exposes metrics and
// health. stop() shuts down in order: controllers (finish, or abandon after the grace period) →
// lease release → informers → HTTP server.
import { createHash } from 'node:crypto';
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { KIND_NAMES } from '../api/kinds.js';
import type { KureKind, KureResource } from '../api/schema.js';
import { assemble, isRenderable } from '../model/assemble.js';
import { splitClusterKey } from '../model/fleet-index.js';
import { Renderer } from '../render/index.js';
import { InformerCache, type KureInformers } from './cache.js';
import { AppliedWatch } from './applied-watch.js';
import { ClusterReconciler } from './cluster-reconciler.js';
import type { Pipeline, Sink } from './contracts.js';
import { Controller } from './controller.js';
import { DetachedReconciler } from './detached-reconciler.js';
import { EventRecorder } from './events.js';
import { inUseDue } from './finalizer.js';
import { clusterCodec, clusterRequests, detachedRequests, inUseRequests, objectCodec, secretRequests } from './handlers.js';
import { InUseReconciler } from './in-use-reconciler.js';
import { Informer, Reflector } from './informers.js';
import { CREDENTIALS_SELECTOR, KubeApi, kureForCache, loadKubeConfig, secretForCache } from './kube.js';
import { LeaderElector } from './leader.js';
import { createLogger, type Logger } from './logger.js';
import { ControllerMetrics } from './metrics.js';
import { EngineNotifier } from './notify.js';
import { defaultOptions, type ControllerOptions } from './options.js';
import type { WorkQueue } from './queue.js';
import type { ClusterRequest, ObjectRequest, Result } from './reconcile.js';
import { matchesSelector } from './selector.js';
import { startMetricsServer, type MetricsServer } from './server.js';
import { StatusWriter } from './status-writer.js';

export interface ManagerOptions extends Partial<ControllerOptions> {
  /** Use this KubeConfig instead of loading one (in-process tests). */
  kubeConfig?: KubeConfig;
  logger?: Logger;
  /** The Git sink (default: src/git's GitSink with gitCacheDir). */
  sink?: Sink;
  pipeline?: Pipeline;
  /** Leader election timings (tests shorten them). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** How long a failing informer still counts as ready (default 30 s). */
  informerUnhealthyAfterMs?: number;
  /** Collect Node.js process metrics too (default true for the CLI, false in tests). */
  defaultMetrics?: boolean;
}

export interface Manager {
  readonly identity: string;
  readonly metrics: ControllerMetrics;
  /** The queue of the kurecluster controller. */
  readonly queue: WorkQueue;
  readonly cache: InformerCache;
  /** "host:port" of the metrics server, when enabled. */
  readonly metricsAddress: string | undefined;
  isLeader(): boolean;
  /** Informers synced and healthy. */
  ready(): boolean;
  waitForSync(): Promise<void>;
  /** Called after each finished cluster reconcile (tests, benchmarks). */
  onReconciled(cb: (request: ClusterRequest, outcome: Result | Error) => void): () => void;
  /** Re-queues every cluster (what the resync timer does). */
  resyncAll(): void;
  /** Forces every informer to drop its watch (and optionally re-list), as a server-side close would. */
  restartInformers(relist?: boolean): void;
  stop(): Promise<void>;
}

async function defaultSink(cacheDir: string, logger: Logger): Promise<Sink> {
  const mod = (await import('./git-sink.js')) as { createGitSink(cacheDir: string, logger: Logger): Sink };
  return mod.createGitSink(cacheDir, logger);
}

export async function startManager(input: ManagerOptions = {}): Promise<Manager> {
  const o: ControllerOptions = { ...defaultOptions(), ...stripUndefined(input) };
  const logger = input.logger ?? createLogger(o.logLevel, undefined, o.logFormat);
  const kc = input.kubeConfig ?? loadKubeConfig(o.kubeconfig);
  const api = new KubeApi(kc, (o.watchTimeoutSeconds * 1.25 + 30) * 1000);
  const metrics = new ControllerMetrics({ defaultMetrics: input.defaultMetrics ?? false });
  const events = new EventRecorder(api, { instance: o.identity, logger });
  // One Renderer for the controller: a memo per cluster holding its last output only (each render
  // replaces it), dropped when the cluster is gone (Pipeline.forget).
  const renderer = new Renderer();
  const pipeline: Pipeline = input.pipeline ?? {
    assemble: (resources) => assemble(resources, { renderer }),
    isRenderable,
    render: (model) => renderer.render(model),
    owners: (model, tree) => renderer.owners(model, tree),
    forget: (cluster) => renderer.forget(cluster),
  };
  const sink = input.sink ?? (await defaultSink(o.gitCacheDir, logger));
  const namespaces: (string | undefined)[] = o.namespaces.length ? o.namespaces : [undefined];

  // ------------------------------------------------------------------ informers
  const informer = <T extends { metadata?: { name?: string; namespace?: string; resourceVersion?: string } }>(
    resource: string,
    path: (ns?: string) => string,
    list: (ns?: string) => Promise<{ items: T[]; resourceVersion: string }>,
    transform: (obj: T) => T,
    within: (string | undefined)[],
    labelSelector?: string,
  ) =>
    new Informer<T>(
      resource,
      within.map(
        (ns) =>
          new Reflector<T>({
            resource,
            path: path(ns),
            list: () => list(ns),
            watch: api.watch,
            labelSelector,
            watchTimeoutSeconds: o.watchTimeoutSeconds,
            logger,
            transform,
            unhealthyAfterMs: input.informerUnhealthyAfterMs,
            onRestart: (reason) => {
              metrics.informerRestarts.inc({ resource, reason });
              logger.debug({ resource, namespace: ns ?? '*', reason }, 'informer reconnect');
            },
          }),
      ),
    );
  const kure = Object.fromEntries(
    KIND_NAMES.map((kind) => [kind, informer<KureResource>(kind, (ns) => api.kurePath(kind, ns), (ns) => api.listKure(kind, ns), kureForCache(kind as KureKind), namespaces)]),
  ) as KureInformers;
  const cacheRef: { current?: InformerCache } = {};
  // Secrets: the API server sends only those labelled kure.dev/credentials=true (list and watch carry
  // the selector); of those only the ones some KureCluster references keep their data in memory, and
  // none keeps its annotations (kubectl's last-applied-configuration holds the data too).
  const secrets = informer<V1Secret>(
    'secrets',
    (ns) => api.secretPath(ns),
    (ns) => api.listSecrets(ns, CREDENTIALS_SELECTOR),
    (s) => secretForCache(s, cacheRef.current?.secretReferenced(s.metadata?.namespace ?? '', s.metadata?.name ?? '') ?? false),
    o.credentialsNamespaces.length ? o.credentialsNamespaces : namespaces,
    CREDENTIALS_SELECTOR,
  );
  const cache = (cacheRef.current = new InformerCache(kure, secrets));
  const informers: Informer<never>[] = [...Object.values(kure), secrets] as unknown as Informer<never>[];

  // ------------------------------------------------------------------ controllers
  const statuses = new StatusWriter(
    api,
    () => new Date(),
    32,
    (err, obj) => logger.debug({ err, object: `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}` }, 'status write failed; the next reconcile writes it'),
    (n) => metrics.statusWritesPending.set(n),
  );
  const listeners = new Set<(request: ClusterRequest, outcome: Result | Error) => void>();
  const clusters = new Controller<ClusterRequest>({
    name: 'kurecluster',
    reconciler: new ClusterReconciler({
      cache,
      kube: api,
      sink,
      pipeline,
      events,
      logger,
      metrics,
      statuses,
      notifier: o.notifyEngine ? new EngineNotifier(api, logger.child({ component: 'notify' })) : undefined,
      credentialsNamespaces: o.credentialsNamespaces.length ? o.credentialsNamespaces : undefined,
    }),
    codec: clusterCodec,
    concurrency: o.concurrency,
    settleMs: o.settleMs,
    maxSettleMs: o.maxSettleMs,
    logger,
    metrics,
    onFinished: (request, outcome) => {
      for (const l of listeners) l(request, outcome);
    },
  });
  const detached = new Controller({
    name: 'detached',
    reconciler: new DetachedReconciler(cache, pipeline, statuses, events),
    codec: objectCodec,
    concurrency: 2,
    settleMs: o.settleMs,
    maxSettleMs: o.maxSettleMs,
    logger,
    metrics,
  });
  const inUse = new Controller({
    name: 'in-use',
    reconciler: new InUseReconciler(cache, api, logger, events),
    codec: objectCodec,
    concurrency: 4,
    settleMs: o.settleMs,
    maxSettleMs: o.maxSettleMs,
    logger,
    metrics,
  });
  const controllers = [clusters, detached, inUse];

  // ------------------------------------------------------------------ engine status (Applied)
  let leadingNow = false;
  const applied = o.watchEngine
    ? new AppliedWatch({
        kubeConfig: kc,
        watch: api.watch,
        cache,
        statuses,
        contains: sink.contains ? (url, branch, d, a) => sink.contains!(url, branch, d, a) : undefined,
        logger: logger.child({ component: 'applied' }),
        watchTimeoutSeconds: o.watchTimeoutSeconds,
        active: () => leadingNow,
        onRestart: (resource, reason) => metrics.informerRestarts.inc({ resource, reason }),
        secrets: cache,
        readSecret: (namespace, name) => api.readSecret(namespace, name),
      })
    : undefined;

  // ------------------------------------------------------------------ event → requests
  // Sharding (--shard-selector): this instance reconciles the clusters the selector matches; their
  // members follow them. Objects that reach no cluster belong to the instance whose selector
  // matches an unlabelled object (the unsharded one, or the one with e.g. '!kure.dev/shard').
  const inShard = (r: ClusterRequest): boolean => {
    if (!o.shardSelector) return true;
    const c = cache.get('KureCluster', r.namespace, r.name);
    return c !== undefined && matchesSelector(c.metadata.labels ?? {}, o.shardSelector);
  };
  const ownsDetached = !o.shardSelector || matchesSelector({}, o.shardSelector);
  const enqueueCluster = (r: ClusterRequest, priority: 'normal' | 'low' = 'normal') => {
    if (inShard(r)) clusters.enqueue(r, priority);
  };
  const enqueueDetached = (r: ObjectRequest, priority: 'normal' | 'low' = 'normal') => {
    if (ownsDetached) detached.enqueue(r, priority);
  };
  // A node or bundle belongs to the shard of the cluster it reaches (through itself when deleting).
  const enqueueInUse = (r: ObjectRequest, priority: 'normal' | 'low' = 'normal') => {
    const obj = cache.get(r.kind, r.namespace, r.name);
    const cluster = obj && cache.index.clusterOf(obj);
    if (cluster ? inShard(splitClusterKey(cluster)) : ownsDetached) inUse.enqueue(r, priority);
  };

  // Until the first lists are in, objects arrive before their parents: the sweep after the sync
  // finds the detached ones instead of queueing every object once.
  let synced = false;
  for (const kind of KIND_NAMES) {
    kure[kind as KureKind].on((type, obj, old) => {
      const reached = cache.observe(type, obj, old);
      const e = { type, obj, old, reached };
      // What the first list brings is low priority, as the resync: a change made meanwhile goes first.
      for (const r of clusterRequests(cache.index, e)) enqueueCluster(r, synced ? 'normal' : 'low');
      if (synced) for (const r of detachedRequests(cache.index, e)) enqueueDetached(r);
      if (synced) for (const r of inUseRequests(e)) enqueueInUse(r);
      applied?.onBundle(type, obj, old);
    });
  }
  secrets.on((_type, s) => {
    for (const r of secretRequests(cache.index, s.metadata?.namespace ?? '', s.metadata?.name ?? '')) enqueueCluster(r);
    applied?.onSecret();
  });
  // Low priority: a change made while the whole fleet is re-queued goes first.
  const resyncAll = () => {
    for (const key of cache.index.clusters()) enqueueCluster(splitClusterKey(key), 'low');
    for (const obj of cache.index.all()) {
      if (obj.kind === 'KureCluster') continue;
      const r = { kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
      if (ownsDetached && cache.index.clusterOf(obj) === undefined) enqueueDetached(r, 'low');
      if (inUseDue(obj)) enqueueInUse(r, 'low');
    }
  };

  // ------------------------------------------------------------------ run on the leader
  let leading = false;
  const startWorkers = async () => {
    leading = true;
    await Promise.all(informers.map((i) => i.waitForSync()));
    synced = true;
    if (!leading) return;
    leadingNow = true;
    resyncAll();
    for (const c of controllers) c.start();
    applied?.recomputeAll();
  };
  const stopWorkers = async (graceMs: number) => {
    leading = false;
    leadingNow = false;
    await Promise.all(controllers.map((c) => c.stop(graceMs)));
  };
  let leader: LeaderElector | undefined;
  const leaseName = leaseNameFor(o);
  if (o.leaderElect) {
    leader = new LeaderElector({
      client: api,
      namespace: o.leaderElectionNamespace,
      name: leaseName,
      identity: o.identity,
      logger,
      leaseDurationMs: input.leaseDurationMs,
      renewDeadlineMs: input.renewDeadlineMs,
      retryPeriodMs: input.retryPeriodMs,
      onStartedLeading: () => {
        metrics.setLeader(leaseName, true);
        void startWorkers();
      },
      onStoppedLeading: () => {
        metrics.setLeader(leaseName, false);
        // Another instance may push now: abandon at once.
        void stopWorkers(0);
      },
      onNewLeader: (id) => logger.info({ leader: id ?? '(none)' }, 'leader observed'),
    });
  }

  // ------------------------------------------------------------------ start
  const unready = () => informers.filter((i) => !i.healthy()).map((i) => (i as unknown as Informer<KureResource>).resource);
  let server: MetricsServer | undefined;
  if (o.metricsAddr !== '0') {
    // Before anything else starts: a port in use fails the start with nothing left running.
    server = await startMetricsServer(o.metricsAddr, metrics.registry, {
      unready,
      info: () => ({ identity: o.identity, leader: leader ? String(leader.isLeader()) : 'true (leader election disabled)' }),
    });
    logger.info({ address: server.address }, 'serving /metrics, /healthz, /readyz');
  }
  for (const i of informers) i.start();
  applied?.start();
  if (leader) leader.start();
  else void startWorkers();
  const resyncTimer = setInterval(resyncAll, o.resyncPeriodMs);
  resyncTimer.unref?.();
  logger.info(
    {
      identity: o.identity,
      namespaces: o.namespaces.length ? o.namespaces : 'all',
      credentialsNamespaces: o.credentialsNamespaces.length ? o.credentialsNamespaces : 'watched',
      leaderElect: o.leaderElect,
      ...(o.shardSelector ? { shardSelector: o.shardSelector, lease: leaseName } : {}),
      settleMs: o.settleMs,
      concurrency: o.concurrency,
    },
    'kure controller started',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      clearInterval(resyncTimer);
      await stopWorkers(o.shutdownGracePeriodMs);
      for (const c of controllers) c.shutDown();
      await leader?.shutdown();
      metrics.setLeader(leaseName, false);
      await Promise.all(informers.map((i) => i.stop()));
      await applied?.stop();
      await events.flush();
      await server?.close();
      logger.info('stopped');
    })());

  return {
    identity: o.identity,
    metrics,
    queue: clusters.queue,
    cache,
    metricsAddress: server?.address,
    isLeader: () => (leader ? leader.isLeader() : true),
    ready: () => unready().length === 0,
    waitForSync: async () => {
      await Promise.all(informers.map((i) => i.waitForSync()));
    },
    onReconciled: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    resyncAll,
    restartInformers: (relist = false) => {
      for (const i of informers) i.restart('test', relist);
    },
    stop,
  };
}

/**
 * The Lease of this instance: each shard elects its own leader. With a shard selector and the
 * default id, the id gets a short hash of the selector (`kure-controller-leader-3f2a9c1b`).
 */
export function leaseNameFor(o: Pick<ControllerOptions, 'leaderElectionId' | 'shardSelector'>): string {
  if (!o.shardSelector || o.leaderElectionId !== defaultOptions().leaderElectionId) return o.leaderElectionId;
  return `${o.leaderElectionId}-${createHash('sha256').update(o.shardSelector).digest('hex').slice(0, 8)}`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
