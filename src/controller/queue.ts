// A rate-limited work queue keyed by cluster key, after client-go's workqueue:
// - de-duplication: a key is queued at most once, however often it is added;
// - at most one in-flight reconcile per key: a key added while it is processed is queued again
//   only when that reconcile is done;
// - a settle window: add() makes a key ready only after `settleMs` without further adds (trailing
//   debounce), but never later than `maxSettleMs` after the first add, so bulk applies batch up;
// - per-key exponential backoff on failure (5 ms doubling to 1,000 s, controller-runtime's defaults),
//   reset with forget() after a success;
// - two priorities, after controller-runtime's priority queue: a key added `low` (the resync, the
//   first list) is handed out only when no normal key is ready, and an add at normal priority lifts
//   it, so a change made during a resync of the whole fleet does not wait behind it.

import { realClock, type Clock, type Timer } from '../clock.js';
import type { QueueMetrics } from './metrics.js';

export interface WorkQueueOptions {
  settleMs?: number;
  maxSettleMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** workqueue_* metrics (depth, adds, retries, queue and work durations). */
  metrics?: QueueMetrics;
  /** The clock of the settle and backoff timers (real time unless a test injects one). */
  clock?: Clock;
}

interface Waiting {
  first: number;
  due: number;
  timer: Timer;
}

export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();
  constructor(
    readonly baseDelayMs = 5,
    readonly maxDelayMs = 1_000_000,
  ) {}

  /** The delay before the next retry of `key`, and counts one more failure. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = this.baseDelayMs * 2 ** Math.min(n, 62);
    return Math.min(delay, this.maxDelayMs);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

export class WorkQueue {
  private readonly settleMs: number;
  private readonly maxSettleMs: number;
  private readonly backoff: ExponentialBackoff;
  private readonly metrics: QueueMetrics | undefined;
  private readonly clock: Clock;
  /** When each ready key became ready, and when each in-flight key was taken (metrics). */
  private readonly readySince = new Map<string, number>();
  private readonly takenAt = new Map<string, number>();

  private readonly ready: string[] = [];
  /** Ready keys of low priority: handed out when `ready` is empty. */
  private readonly readyLow: string[] = [];
  /** Keys whose pending add is of low priority only. */
  private readonly low = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, Waiting>();
  private getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private lastDepth = -1;

  constructor(options: WorkQueueOptions = {}) {
    this.settleMs = options.settleMs ?? 0;
    this.maxSettleMs = Math.max(options.maxSettleMs ?? this.settleMs * 10, this.settleMs);
    this.backoff = new ExponentialBackoff(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000);
    this.metrics = options.metrics;
    this.clock = options.clock ?? realClock;
  }

  /**
   * Marks `key` as changed: it becomes ready after the settle window. `low`: only behind every key of
   * normal priority (a resync); a normal add of a key pending at low priority lifts it.
   */
  add(key: string, priority: 'normal' | 'low' = 'normal'): void {
    if (this.shuttingDown) return;
    if (priority === 'low') {
      if (!this.dirty.has(key) && !this.waiting.has(key)) this.low.add(key);
    } else if (this.low.delete(key)) {
      const i = this.readyLow.indexOf(key);
      if (i >= 0) {
        this.readyLow.splice(i, 1);
        this.ready.push(key);
      }
    }
    if (this.dirty.has(key)) return; // already queued (or re-queued after the in-flight run)
    if (this.settleMs <= 0) return this.addNow(key);
    const now = this.clock.now();
    const entry = this.waiting.get(key);
    const first = entry?.first ?? now;
    this.schedule(key, first, Math.min(now + this.settleMs, first + this.maxSettleMs));
  }

  /** Makes `key` ready after `delayMs` (no settle); an earlier pending time wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.addNow(key);
    if (this.dirty.has(key) && !this.processing.has(key)) return;
    const now = this.clock.now();
    const entry = this.waiting.get(key);
    if (entry && entry.due <= now + delayMs) return;
    this.schedule(key, entry?.first ?? now, now + delayMs);
  }

  /** Re-queues `key` after its next backoff delay; returns that delay. */
  addRateLimited(key: string): number {
    const delay = this.backoff.when(key);
    this.metrics?.retried();
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of `key` (after a successful reconcile). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  numRequeues(key: string): number {
    return this.backoff.numRequeues(key);
  }

  /** Waits for the next ready key; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.ready.shift() ?? this.readyLow.shift();
    if (key !== undefined) {
      this.take(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Must be called when the reconcile of a key obtained from get() has finished. */
  done(key: string): void {
    const taken = this.takenAt.get(key);
    if (taken !== undefined) this.metrics?.worked((this.clock.now() - taken) / 1000);
    this.takenAt.delete(key);
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  /** Wakes every waiting get() with undefined, without shutting down (workers stopping). */
  releaseGetters(): void {
    const getters = this.getters;
    this.getters = [];
    for (const g of getters) g(undefined);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.timer);
    this.waiting.clear();
    this.ready.length = 0;
    this.readyLow.length = 0;
    this.low.clear();
    this.dirty.clear();
    const getters = this.getters;
    this.getters = [];
    for (const g of getters) g(undefined);
    this.depthChanged();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Keys ready or settling (not counting in-flight ones). */
  depth(): number {
    return this.ready.length + this.readyLow.length + this.waiting.size;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting for their settle/backoff delay (for tests and debugging). */
  pending(): string[] {
    return [...this.waiting.keys()];
  }

  private schedule(key: string, first: number, due: number): void {
    const entry = this.waiting.get(key);
    if (entry) this.clock.clearTimeout(entry.timer);
    const timer = this.clock.setTimeout(() => this.fire(key), Math.max(0, due - this.clock.now()));
    this.waiting.set(key, { first, due, timer });
    this.depthChanged();
  }

  private fire(key: string): void {
    this.waiting.delete(key);
    this.addNow(key);
  }

  private addNow(key: string): void {
    if (this.shuttingDown) return;
    const entry = this.waiting.get(key);
    if (entry) {
      this.clock.clearTimeout(entry.timer);
      this.waiting.delete(key);
    }
    if (this.dirty.has(key)) return this.depthChanged();
    this.metrics?.added();
    this.dirty.add(key);
    if (this.processing.has(key)) return this.depthChanged();
    this.push(key);
  }

  private push(key: string): void {
    this.readySince.set(key, this.clock.now());
    const getter = this.getters.shift();
    if (getter) {
      this.take(key);
      getter(key);
    } else {
      (this.low.has(key) ? this.readyLow : this.ready).push(key);
    }
    this.depthChanged();
  }

  private take(key: string): void {
    const now = this.clock.now();
    const since = this.readySince.get(key);
    if (since !== undefined) this.metrics?.queued((now - since) / 1000);
    this.readySince.delete(key);
    this.takenAt.set(key, now);
    this.dirty.delete(key);
    this.low.delete(key);
    this.processing.add(key);
    this.depthChanged();
  }

  private depthChanged(): void {
    const d = this.depth();
    if (d !== this.lastDepth) {
      this.lastDepth = d;
      this.metrics?.depth(d);
    }
  }
}
