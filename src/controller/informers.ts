// List+watch caches for the four Kure kinds and Secrets, written for watches that must survive:
// - every watch carries a server-side `timeoutSeconds` (jittered), so the server closes it and we
//   re-watch from the last resourceVersion; bookmarks keep that resourceVersion fresh;
// - `410 Gone` (as a watch ERROR event or an HTTP status) drops the resourceVersion: re-list;
// - any other error (API server restarted, connection refused, TLS...) restarts list+watch with
//   exponential backoff (250 ms .. 30 s) instead of stopping, unlike client-node's ListWatch;
// - a watchdog restarts a reflector that has shown no sign of life for longer than its watch
//   timeout (a dropped TCP stream nobody noticed), and every reconnect is logged and counted;
// - a re-list only reports objects whose resourceVersion changed (no spurious updates).
import type { Logger } from './logger.js';
import { realClock, type Clock, type Timer } from '../clock.js';
import { sleep } from '../sleep.js';
import { statusCode } from './kube.js';

/** The little of an object a cache needs. */
export interface KubernetesObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export type EventType = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (type: EventType, obj: T, old?: T) => void;

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** client-node's Watch.watch, as a function (fakes in unit tests). */
export type WatchFn = (
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  callback: (phase: string, obj: unknown) => void,
  done: (err: unknown) => void,
) => Promise<AbortController>;

export interface ReflectorOptions<T extends KubernetesObject> {
  /** Name for logs and metrics, e.g. "kureapplications" or "secrets". */
  resource: string;
  /** Watch path, e.g. /apis/kure.dev/v1alpha1/kureapplications or /api/v1/namespaces/a/secrets. */
  path: string;
  list: () => Promise<ListResult<T>>;
  watch: WatchFn;
  /** Label selector of the watch; `list` must apply the same one (Secrets: kure.dev/credentials=true). */
  labelSelector?: string;
  watchTimeoutSeconds: number;
  logger: Logger;
  /** Optionally shrinks objects before caching (e.g. drop Secret data nobody references). */
  transform?: (obj: T) => T;
  onRestart?: (reason: string) => void;
  /** How long a failing reflector is still considered healthy (default 30 s). */
  unhealthyAfterMs?: number;
  listTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** The clock of the watchdog, the backoffs, the list timeout and healthy() (real time unless a test injects one). */
  clock?: Clock;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

class GoneError extends Error {
  override name = 'GoneError';
}

/** One list+watch loop over one path, with its own store. */
export class Reflector<T extends KubernetesObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private synced = false;
  private failingSince: number | undefined;
  private lastActivity: number;
  private readonly stopController = new AbortController();
  private currentWatch: AbortController | undefined;
  private currentFinish: ((err: unknown) => void) | undefined;
  private forcedRestart: string | undefined;
  private loop: Promise<void> | undefined;
  private watchdog: Timer | undefined;
  private syncedWaiters: (() => void)[] = [];

  private readonly clock: Clock;

  constructor(private readonly o: ReflectorOptions<T>) {
    this.clock = o.clock ?? realClock;
    this.lastActivity = this.clock.now();
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
    const period = Math.max(1000, Math.min(30_000, this.o.watchTimeoutSeconds * 250));
    const tick = () => {
      this.checkWatchdog();
      if (!this.stopController.signal.aborted) this.watchdog = this.clock.setTimeout(tick, period);
    };
    this.watchdog = this.clock.setTimeout(tick, period);
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    if (this.watchdog !== undefined) this.clock.clearTimeout(this.watchdog);
    this.currentFinish?.(null);
    await this.loop;
    for (const w of this.syncedWaiters) w();
    this.syncedWaiters = [];
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Synced and not failing for longer than unhealthyAfterMs. */
  healthy(now = this.clock.now()): boolean {
    return this.synced && (this.failingSince === undefined || now - this.failingSince < (this.o.unhealthyAfterMs ?? 30_000));
  }

  waitForSync(): Promise<void> {
    if (this.synced || this.stopController.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(`${namespace}/${name}`);
  }

  /** Forces the watch to close and the loop to re-watch (tests; the watchdog). */
  restart(reason = 'manual', relist = false): void {
    if (relist) this.resourceVersion = '';
    this.forcedRestart = reason;
    this.currentFinish?.(null);
  }

  private recovered(): void {
    if (this.failingSince === undefined) return;
    this.o.logger.info({ resource: this.o.resource }, 'informer recovered');
    this.failingSince = undefined;
  }

  private checkWatchdog(): void {
    const silentFor = this.clock.now() - this.lastActivity;
    const limit = (this.o.watchTimeoutSeconds * 1.5 + 60) * 1000;
    if (silentFor > limit) {
      this.o.logger.warn({ resource: this.o.resource, silentForMs: silentFor }, 'informer silent for too long; restarting its watch');
      this.lastActivity = this.clock.now();
      this.restart('watchdog', true);
    }
  }

  private emit(type: EventType, obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        h(type, obj, old);
      } catch (err) {
        this.o.logger.error({ err, resource: this.o.resource }, 'informer handler failed');
      }
    }
  }

  private put(raw: T): void {
    const obj = this.o.transform ? this.o.transform(raw) : raw;
    const key = keyOf(obj);
    const old = this.store.get(key);
    this.store.set(key, obj);
    if (!old) this.emit('add', obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj, old);
  }

  private async relist(): Promise<void> {
    const timeout = this.o.listTimeoutMs ?? 60_000;
    let timer: Timer | undefined;
    let onStop: (() => void) | undefined;
    const signal = this.stopController.signal;
    const result = await Promise.race([
      this.o.list(),
      new Promise<never>((_, reject) => {
        timer = this.clock.setTimeout(() => reject(new Error(`list timed out after ${timeout} ms`)), timeout);
        signal.addEventListener('abort', (onStop = () => reject(new Error('stopped'))), { once: true });
      }),
    ]).finally(() => {
      this.clock.clearTimeout(timer);
      // One listener per list, removed after it: re-lists do not pile them up on the stop signal.
      if (onStop) signal.removeEventListener('abort', onStop);
    });
    this.lastActivity = this.clock.now();
    const seen = new Set<string>();
    for (const item of result.items) {
      // Lists of custom objects carry no apiVersion/kind per item on some servers.
      seen.add(keyOf(item));
      this.put(item);
    }
    for (const [key, old] of [...this.store]) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.emit('delete', old);
      }
    }
    this.resourceVersion = result.resourceVersion;
    this.recovered();
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncedWaiters) w();
      this.syncedWaiters = [];
    }
  }

  private watchOnce(): Promise<string> {
    const timeoutSeconds = Math.round(this.o.watchTimeoutSeconds * (1 + Math.random() * 0.25));
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        this.currentFinish = undefined;
        this.currentWatch?.abort();
        this.currentWatch = undefined;
        const forced = this.forcedRestart;
        this.forcedRestart = undefined;
        if (forced) return resolve(forced);
        if (this.stopController.signal.aborted) return resolve('stopped');
        const e = err as { statusCode?: number; code?: number; name?: string } | null | undefined;
        if (!e) return resolve('closed');
        if (e instanceof GoneError || e.statusCode === 410 || e.code === 410) {
          this.resourceVersion = '';
          return resolve('gone');
        }
        if (e.name === 'TimeoutError') return resolve('inactivity');
        if (e.name === 'AbortError') return resolve('aborted');
        reject(err);
      };
      this.currentFinish = finish;
      // stop() may have come while we were listing: it found no watch to finish, so finish here.
      if (this.stopController.signal.aborted) return finish(null);
      const callback = (phase: string, raw: unknown) => {
        if (settled) return;
        this.lastActivity = this.clock.now();
        const obj = raw as T & { code?: number; message?: string };
        switch (phase) {
          case 'ADDED':
          case 'MODIFIED':
            this.put(obj);
            break;
          case 'DELETED': {
            const key = keyOf(obj);
            const old = this.store.get(key);
            this.store.delete(key);
            // The event carries the object's final state (client-go hands that on too).
            if (old || obj.metadata) this.emit('delete', obj.metadata ? obj : (old as T));
            break;
          }
          case 'BOOKMARK':
            break;
          case 'ERROR':
            if (obj.code === 410) {
              this.resourceVersion = '';
              finish(new GoneError(obj.message ?? 'resource version too old'));
            } else {
              this.o.logger.warn({ resource: this.o.resource, status: obj }, 'watch error event');
            }
            return;
          default:
            return;
        }
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
      };
      this.o
        .watch(
          this.o.path,
          { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds, ...(this.o.labelSelector ? { labelSelector: this.o.labelSelector } : {}) },
          callback,
          finish,
        )
        .then((ctrl) => {
          if (settled) return ctrl.abort();
          this.currentWatch = ctrl;
        }, finish);
    });
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    const min = this.o.minBackoffMs ?? 250;
    const max = this.o.maxBackoffMs ?? 30_000;
    // Two backoffs: one for failures, one for watches that end at once without failing (a proxy
    // closing them). Either resets once the server proves healthy again.
    let backoff = min;
    let quickEnd = min;
    let first = true;
    while (!signal.aborted) {
      try {
        if (!this.resourceVersion) {
          if (!first) this.o.logger.info({ resource: this.o.resource }, 're-listing');
          await this.relist();
          backoff = min;
        }
        this.recovered();
        first = false;
        const started = this.clock.now();
        this.lastActivity = started;
        const reason = await this.watchOnce();
        if (signal.aborted) break;
        this.o.onRestart?.(reason);
        this.o.logger.debug({ resource: this.o.resource, reason }, 'watch ended; reconnecting');
        if (this.clock.now() - started >= 1000) {
          backoff = quickEnd = min;
        } else {
          // A watch that ended at once repeatedly must not spin.
          await sleep(quickEnd, signal, this.clock);
          quickEnd = Math.min(quickEnd * 2, max);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.failingSince ??= this.clock.now();
        this.o.onRestart?.('error');
        // 429 (e.g. "storage is (re)initializing" right after an API server restart) says when to
        // come back: honour Retry-After instead of growing the backoff.
        const retryAfter = statusCode(err) === 429 ? retryAfterMs(err) : undefined;
        const wait = retryAfter ?? backoff;
        this.o.logger.warn({ resource: this.o.resource, err, retryInMs: wait }, 'list/watch failed; retrying with backoff');
        await sleep(wait, signal, this.clock);
        if (retryAfter === undefined) backoff = Math.min(backoff * 2, max);
      }
    }
  }
}

/** Retry-After of a 429 answer in milliseconds (1 s when absent), capped at a minute. */
function retryAfterMs(err: unknown): number {
  const headers = (err as { headers?: Record<string, string | undefined> }).headers;
  const seconds = Number(headers?.['retry-after'] ?? headers?.['Retry-After'] ?? 1);
  return Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000, 60_000);
}

/** All reflectors of one resource type (one per watched namespace, or one for all). */
export class Informer<T extends KubernetesObject> {
  constructor(
    readonly resource: string,
    readonly reflectors: Reflector<T>[],
  ) {}

  on(handler: InformerHandler<T>): void {
    for (const r of this.reflectors) r.on(handler);
  }
  start(): void {
    for (const r of this.reflectors) r.start();
  }
  async stop(): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.stop()));
  }
  hasSynced(): boolean {
    return this.reflectors.every((r) => r.hasSynced());
  }
  /** Every reflector healthy (`now` defaults to each reflector's clock). */
  healthy(now?: number): boolean {
    return this.reflectors.every((r) => r.healthy(now));
  }
  async waitForSync(): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.waitForSync()));
  }
  list(): T[] {
    return this.reflectors.flatMap((r) => r.list());
  }
  get(namespace: string, name: string): T | undefined {
    for (const r of this.reflectors) {
      const o = r.get(namespace, name);
      if (o) return o;
    }
    return undefined;
  }
  restart(reason?: string, relist?: boolean): void {
    for (const r of this.reflectors) r.restart(reason, relist);
  }
}
