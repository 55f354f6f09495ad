// Wires the controller together, controller-runtime style: informers fill caches and turn events
// into cluster keys on the work queue; workers (only on the leader) take keys and call the
// reconciler; a resync timer re-queues every cluster; an HTTP server exposes metrics and health.
// stop() shuts down in order: queue → workers (finish, or abandon after the grace period) →
// lease release → informers → HTTP server.
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { KIND_NAMES } from '../api/kinds.js';
import type { KureKind, KureResource } from '../api/schema.js';
import { assemble, isRenderable } from '../model/assemble.js';
import { fileOwners, render } from '../render/index.js';
import { EngineNotifier } from './notify.js';
import { InformerCache, clusterKeyFor, isRelevantUpdate, type KureInformers } from './cache.js';
import type { Pipeline, Sink } from './contracts.js';
import { EventRecorder } from './events.js';
import { Informer, Reflector, type EventType } from './informers.js';
import { KubeApi, loadKubeConfig } from './kube.js';
import { LeaderElector } from './leader.js';
import { createLogger, type Logger } from './logger.js';
import { ControllerMetrics } from './metrics.js';
import { defaultOptions, type ControllerOptions } from './options.js';
import { WorkQueue } from './queue.js';
import { DETACHED_KEY, Reconciler, clusterKeyOf, type ReconcileResult } from './reconciler.js';
import { RepoLock } from './repo-lock.js';
import { startMetricsServer, type MetricsServer } from './server.js';

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
  readonly queue: WorkQueue;
  readonly reconciler: Reconciler;
  readonly cache: InformerCache;
  /** "host:port" of the metrics server, when enabled. */
  readonly metricsAddress: string | undefined;
  isLeader(): boolean;
  /** Informers synced and healthy. */
  ready(): boolean;
  waitForSync(): Promise<void>;
  /** Resolves after each finished reconcile (tests). */
  onReconciled(cb: (key: string, result: ReconcileResult | Error) => void): () => void;
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
  const logger = input.logger ?? createLogger(o.logLevel);
  const kc = input.kubeConfig ?? loadKubeConfig(o.kubeconfig);
  const api = new KubeApi(kc, (o.watchTimeoutSeconds * 1.25 + 30) * 1000);
  const metrics = new ControllerMetrics({ defaultMetrics: input.defaultMetrics ?? false });
  const events = new EventRecorder(api, { instance: o.identity, logger });
  const pipeline: Pipeline = input.pipeline ?? { assemble, isRenderable, render, owners: fileOwners };
  const sink = input.sink ?? (await defaultSink(o.gitCacheDir, logger));
  const namespaces: (string | undefined)[] = o.namespaces.length ? o.namespaces : [undefined];

  // ------------------------------------------------------------------ informers
  const reflectorsOf = <T extends { metadata?: { name?: string; namespace?: string; resourceVersion?: string } }>(
    resource: string,
    path: (ns?: string) => string,
    list: (ns?: string) => Promise<{ items: T[]; resourceVersion: string }>,
    transform?: (obj: T) => T,
  ) =>
    new Informer<T>(
      resource,
      namespaces.map(
        (ns) =>
          new Reflector<T>({
            resource,
            path: path(ns),
            list: () => list(ns),
            watch: api.watch,
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
    KIND_NAMES.map((kind) => [
      kind,
      reflectorsOf<KureResource>(
        kind,
        (ns) => api.kurePath(kind, ns),
        (ns) => api.listKure(kind, ns),
        (obj) => ({ ...obj, kind, apiVersion: obj.apiVersion ?? 'kure.dev/v1alpha1' }) as KureResource,
      ),
    ]),
  ) as KureInformers;
  const cacheRef: { current?: InformerCache } = {};
  // Secrets: only those some KureCluster references keep their data in memory.
  const secrets = reflectorsOf<V1Secret>(
    'secrets',
    (ns) => api.secretPath(ns),
    (ns) => api.listSecrets(ns),
    (s) => (cacheRef.current?.secretReferenced(s.metadata?.namespace ?? '', s.metadata?.name ?? '') ? s : { metadata: s.metadata }),
  );
  const cache = new InformerCache(kure, secrets);
  cacheRef.current = cache;
  const informers: Informer<never>[] = [...Object.values(kure), secrets] as unknown as Informer<never>[];

  // ------------------------------------------------------------------ queue + reconciler
  const queue = new WorkQueue({
    settleMs: o.settleMs,
    maxSettleMs: o.maxSettleMs,
    onDepthChange: (d) => metrics.workqueueDepth.set(d),
  });
  const notifier = o.notifyEngine ? new EngineNotifier(api, logger.child({ component: 'notify' })) : undefined;
  const reconciler = new Reconciler({ cache, kube: api, sink, pipeline, events, logger, metrics, repoLock: new RepoLock(), notifier });

  const onKure = (type: EventType, obj: KureResource, old?: KureResource) => {
    cache.bump();
    if (!isRelevantUpdate(type, obj, old)) return;
    const keys = new Set<string>();
    if (obj.kind === 'KureCluster') keys.add(clusterKeyOf(obj.metadata.namespace ?? '', obj.metadata.name));
    for (const o2 of [obj, old]) {
      const k = o2 && clusterKeyFor(o2, cache);
      if (k) keys.add(k);
    }
    const before = reconciler.lastClusterOf({ kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });
    if (before) keys.add(before);
    keys.add(DETACHED_KEY);
    for (const k of keys) queue.add(k);
  };
  for (const kind of KIND_NAMES) kure[kind as KureKind].on(onKure);
  secrets.on((_type, s) => {
    const keys = cache.clustersReferencingSecret(s.metadata?.namespace ?? '', s.metadata?.name ?? '');
    if (keys.length) cache.bump();
    for (const k of keys) queue.add(k);
  });

  const listeners = new Set<(key: string, result: ReconcileResult | Error) => void>();
  const resyncAll = () => {
    for (const c of kure.KureCluster.list()) queue.add(clusterKeyOf(c.metadata.namespace ?? '', c.metadata.name));
    queue.add(DETACHED_KEY);
  };

  // ------------------------------------------------------------------ workers
  let workers: Promise<void>[] = [];
  let workersAbort: AbortController | undefined;
  let workersRunning = false;

  const process1 = async (key: string, signal: AbortSignal) => {
    const end = metrics.reconcileDuration.startTimer();
    let outcome: ReconcileResult | Error;
    try {
      const result = await reconciler.reconcile(key, signal);
      outcome = result;
      metrics.reconcileTotal.inc({ result: result.backoff ? 'error' : result.outcome });
      if (result.backoff) {
        const delay = queue.addRateLimited(key);
        logger.debug({ key, retryInMs: delay }, 'reconcile failed; backing off');
      } else {
        queue.forget(key);
        if (result.requeueAfterMs) queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (err) {
      outcome = err as Error;
      metrics.reconcileTotal.inc({ result: 'error' });
      if (signal.aborted) {
        logger.info({ key }, 'reconcile abandoned (shutdown or lost leadership)');
      } else {
        const delay = queue.addRateLimited(key);
        logger.error({ key, err, retryInMs: delay }, 'reconcile failed');
      }
    } finally {
      end();
      queue.done(key);
    }
    for (const l of listeners) l(key, outcome);
  };

  const startWorkers = async () => {
    if (workersRunning) return;
    workersRunning = true;
    workersAbort = new AbortController();
    const signal = workersAbort.signal;
    await Promise.all(informers.map((i) => i.waitForSync()));
    if (!workersRunning || signal.aborted) return;
    resyncAll();
    workers = Array.from({ length: o.concurrency }, async () => {
      while (workersRunning && !signal.aborted) {
        const key = await queue.get();
        if (key === undefined) return;
        if (!workersRunning || signal.aborted) {
          queue.done(key);
          queue.add(key);
          return;
        }
        await process1(key, signal);
      }
    });
  };

  /** Lets in-flight reconciles finish for up to `graceMs`, then aborts them. */
  const stopWorkers = async (graceMs: number) => {
    if (!workersRunning) return;
    workersRunning = false;
    queue.releaseGetters();
    const all = Promise.all(workers);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
    if ((await Promise.race([all.then(() => 'done' as const), graceOver])) === 'timeout') {
      logger.warn({ graceMs }, 'abandoning in-flight reconciles');
      workersAbort?.abort();
      await all;
    }
    clearTimeout(timer);
    workers = [];
  };

  // ------------------------------------------------------------------ leader election
  let leader: LeaderElector | undefined;
  if (o.leaderElect) {
    leader = new LeaderElector({
      client: api,
      namespace: o.leaderElectionNamespace,
      name: o.leaderElectionId,
      identity: o.identity,
      logger,
      leaseDurationMs: input.leaseDurationMs,
      renewDeadlineMs: input.renewDeadlineMs,
      retryPeriodMs: input.retryPeriodMs,
      onStartedLeading: () => {
        metrics.isLeader.set(1);
        void startWorkers();
      },
      onStoppedLeading: () => {
        metrics.isLeader.set(0);
        // Another instance may push now: abandon at once.
        void stopWorkers(0);
      },
      onNewLeader: (id) => logger.info({ leader: id ?? '(none)' }, 'leader observed'),
    });
  }

  // ------------------------------------------------------------------ start
  for (const i of informers) i.start();
  const unready = () => informers.filter((i) => !i.healthy()).map((i) => (i as unknown as Informer<KureResource>).resource);
  let server: MetricsServer | undefined;
  if (o.metricsAddr !== '0') {
    server = await startMetricsServer(o.metricsAddr, metrics.registry, {
      unready,
      info: () => ({ identity: o.identity, leader: leader ? String(leader.isLeader()) : 'true (leader election disabled)' }),
    });
    logger.info({ address: server.address }, 'serving /metrics, /healthz, /readyz');
  }
  if (leader) leader.start();
  else void startWorkers();
  const resyncTimer = setInterval(resyncAll, o.resyncPeriodMs);
  resyncTimer.unref?.();
  logger.info(
    { identity: o.identity, namespaces: o.namespaces.length ? o.namespaces : 'all', leaderElect: o.leaderElect, settleMs: o.settleMs, concurrency: o.concurrency },
    'kure controller started',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      clearInterval(resyncTimer);
      await stopWorkers(o.shutdownGracePeriodMs);
      queue.shutDown();
      await leader?.shutdown();
      metrics.isLeader.set(0);
      await Promise.all(informers.map((i) => i.stop()));
      await events.flush();
      await server?.close();
      logger.info('stopped');
    })());

  return {
    identity: o.identity,
    metrics,
    queue,
    reconciler,
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

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
