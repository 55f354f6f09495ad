// A controller, after controller-runtime's pkg/internal/controller: a work queue of typed requests,
// workers that take one request at a time and call the Reconciler, and ONE place (`finish`) that
// maps the reconcile's outcome to the queue (forget / requeue after / retry with backoff / drop)
// and to the metrics. It knows nothing of Kure; the manager gives it a Reconciler and requests.
import type { Logger } from './logger.js';
import type { ControllerMetrics } from './metrics.js';
import { WorkQueue, type WorkQueueOptions } from './queue.js';
import { TransientError, isTerminal, type Reconciler, type Result } from './reconcile.js';

export interface RequestCodec<Req> {
  /** The queue key of a request: equal requests have equal keys. */
  key(request: Req): string;
  parse(key: string): Req;
}

export interface ControllerOptions<Req> extends Omit<WorkQueueOptions, 'metrics'> {
  /** The `controller` label of its metrics, and its logger's `controller` field. */
  name: string;
  reconciler: Reconciler<Req>;
  codec: RequestCodec<Req>;
  concurrency: number;
  logger: Logger;
  metrics: ControllerMetrics;
  /** Called after every reconcile (tests, benchmarks). */
  onFinished?: (request: Req, outcome: Result | Error) => void;
}

export class Controller<Req> {
  readonly queue: WorkQueue;
  private readonly log: Logger;
  private workers: Promise<void>[] = [];
  private abort: AbortController | undefined;
  private running = false;
  private active = 0;

  constructor(private readonly o: ControllerOptions<Req>) {
    this.queue = new WorkQueue({ ...o, metrics: o.metrics.queue(o.name) });
    this.log = o.logger.child({ controller: o.name });
    o.metrics.crMaxConcurrent.set({ controller: o.name }, o.concurrency);
    o.metrics.crActiveWorkers.set({ controller: o.name }, 0);
  }

  get name(): string {
    return this.o.name;
  }

  /** Asks for a reconcile after the settle window (events); `low` for the resync and the first list. */
  enqueue(request: Req, priority: 'normal' | 'low' = 'normal'): void {
    this.queue.add(this.o.codec.key(request), priority);
  }

  enqueueAfter(request: Req, delayMs: number): void {
    this.queue.addAfter(this.o.codec.key(request), delayMs);
  }

  /** Starts the workers (on the leader). Requests queued before are processed. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const abort = (this.abort = new AbortController());
    this.workers = Array.from({ length: this.o.concurrency }, () => this.work(abort.signal));
  }

  /** Lets in-flight reconciles finish for up to `graceMs`, then aborts them. Queued requests stay. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.queue.releaseGetters();
    const all = Promise.all(this.workers);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
    if ((await Promise.race([all.then(() => 'done' as const), graceOver])) === 'timeout') {
      this.log.warn({ graceMs }, 'abandoning in-flight reconciles');
      this.abort?.abort();
      await all;
    }
    clearTimeout(timer);
    this.workers = [];
  }

  shutDown(): void {
    this.queue.shutDown();
  }

  private async work(signal: AbortSignal): Promise<void> {
    while (this.running && !signal.aborted) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (!this.running || signal.aborted) {
        // Stopped while waiting: hand the key back for the next leader term.
        this.queue.done(key);
        this.queue.add(key);
        return;
      }
      await this.reconcileOne(key, signal);
    }
  }

  private async reconcileOne(key: string, signal: AbortSignal): Promise<void> {
    const request = this.o.codec.parse(key);
    const labels = { controller: this.o.name };
    const end = this.o.metrics.crReconcileTime.startTimer(labels);
    this.o.metrics.crActiveWorkers.set(labels, ++this.active);
    let outcome: Result | Error;
    try {
      outcome = await this.o.reconciler.reconcile(request, signal);
    } catch (err) {
      outcome = err instanceof Error ? err : new Error(String(err));
    }
    end();
    this.o.metrics.crActiveWorkers.set(labels, --this.active);
    this.finish(key, outcome, signal);
    this.queue.done(key);
    this.o.onFinished?.(request, outcome);
  }

  /** The one place a reconcile's outcome becomes queue actions and metrics. */
  private finish(key: string, outcome: Result | Error, signal: AbortSignal): void {
    const m = this.o.metrics;
    const labels = { controller: this.o.name };
    const count = (result: 'success' | 'requeue_after' | 'error') => {
      m.crReconcileTotal.inc({ ...labels, result });
      if (this.o.name === 'kurecluster') m.reconcileTotal.inc({ result: result === 'requeue_after' ? 'requeue' : result });
    };
    if (!(outcome instanceof Error)) {
      this.queue.forget(key);
      if (outcome.requeueAfterMs) {
        count('requeue_after');
        this.queue.addAfter(key, outcome.requeueAfterMs);
      } else {
        count('success');
      }
      return;
    }
    count('error');
    m.crReconcileErrors.inc(labels);
    if (signal.aborted) {
      // Shutdown or lost leadership: the next leader reconciles it from scratch.
      this.log.info({ key }, 'reconcile abandoned');
      return;
    }
    if (isTerminal(outcome)) {
      m.crTerminalErrors.inc(labels);
      this.queue.forget(key);
      this.log.info({ key, reason: outcome.reason }, `not retried: ${outcome.message}`);
      return;
    }
    const delay = this.queue.addRateLimited(key);
    if (outcome instanceof TransientError) this.log.warn({ key, retryInMs: delay }, `reconcile failed, retrying: ${outcome.message}`);
    else this.log.error({ key, err: outcome, retryInMs: delay }, 'reconcile failed, retrying');
  }
}
