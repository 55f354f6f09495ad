// Writes the status subresource of Kure objects, only when it changes (ignoring
// lastTransitionTime), and remembers what it wrote: the next reconcile may run before the watch
// delivers our own write, and must compare against it rather than against the stale cache.
// Members' statuses are delivered in the background (`enqueue`), coalesced per object, so a
// cluster's worker is free once its commit is pushed and its own status written: at fleet scale a
// first reconcile writes a thousand statuses per cluster, and the API server, not Kure, sets the pace.
import type { KureKind, KureResource } from '../api/schema.js';
import { refKey, refOf } from '../model/problems.js';
import { statusCode, type KureWriter } from './kube.js';
import { nextStatus, setCondition, statusEqual, type ConditionInput, type ReadyInput } from './status.js';

export type StatusExtra = Parameters<typeof nextStatus>[4];

/** Besides Ready: the Applied condition (applied.ts) and fields it sets (the cluster's summary). */
export interface SideStatus {
  condition: ConditionInput;
  fields?: Record<string, unknown>;
}

interface Pending {
  obj: KureResource;
  /** Undefined for a side-only write (Applied), which leaves Ready and observedGeneration alone. */
  ready?: ReadyInput;
  extra?: StatusExtra;
  side?: SideStatus;
  /** Runs when the status really changed and was written. */
  changed?: () => void;
  attempts?: number;
}

const MAX_REMEMBERED = 50_000;

export class StatusWriter {
  /** Status we wrote, by refKey, with the resourceVersion the object had before. */
  private readonly written = new Map<string, { before: string | undefined; status: Record<string, unknown> }>();

  /** Statuses waiting to be written, newest per object (Map order: first enqueued first). */
  private readonly pending = new Map<string, Pending>();
  /** Failed writes waiting for their retry (counted in the backlog). */
  private retrying = 0;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  /** One write at a time per object: a second one starts from what the first wrote. */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kube: Pick<KureWriter, 'patchStatus'>,
    private readonly now: () => Date,
    private readonly concurrency = 32,
    private readonly onError: (err: unknown, obj: KureResource) => void = () => undefined,
    /** Called with the backlog (enqueued, not yet written) when it changes: the kure_status_writes_pending gauge. */
    private readonly onBacklog: (n: number) => void = () => undefined,
    /** Retries of a failed write (not for an object that is gone), 200 ms doubling to 30 s. */
    private readonly retries = 8,
  ) {}

  /**
   * Writes in the background; a newer status for the same object replaces one not yet written.
   * `changed` runs when the status really changed and was written (the Event of a new problem).
   */
  enqueue(obj: KureResource, ready: ReadyInput, extra?: StatusExtra, changed?: () => void): void {
    const k = refKey(refOf(obj));
    const side = this.pending.get(k)?.side;
    this.pending.delete(k); // re-insert at the end: the newest goes last
    this.pending.set(k, { obj, ready, extra, changed, side });
    this.pump();
  }

  /** Writes a side condition (Applied) in the background, leaving Ready alone; coalesced with a pending Ready write. */
  enqueueSide(obj: KureResource, side: SideStatus): void {
    const k = refKey(refOf(obj));
    const before = this.pending.get(k);
    this.pending.delete(k);
    this.pending.set(k, before ? { ...before, side } : { obj, side });
    this.pump();
  }

  /** Reports the backlog and starts writers for what is pending, up to `concurrency`. */
  private pump(): void {
    this.onBacklog(this.backlog);
    while (this.running < this.concurrency && this.pending.size > 0) void this.drain();
  }

  private wakeIfIdle(): void {
    if (this.backlog === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Statuses enqueued and not yet written. */
  get backlog(): number {
    return this.pending.size + this.running + this.retrying;
  }

  /** Resolves when every enqueued status has been written (tests, shutdown). */
  idle(): Promise<void> {
    if (this.backlog === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running++;
    try {
      for (let next = this.pending.entries().next(); !next.done; next = this.pending.entries().next()) {
        const [k, item] = next.value;
        this.pending.delete(k);
        try {
          if (await this.write(item.obj, item.ready, item.extra, item.side)) item.changed?.();
        } catch (err) {
          this.onError(err, item.obj);
          // Nothing else will write it (the cluster's reconcile is done): retry, unless the object is gone.
          if (statusCode(err) !== 404 && (item.attempts ?? 0) < this.retries) this.retryLater(k, { ...item, attempts: (item.attempts ?? 0) + 1 });
        }
      }
    } finally {
      this.running--;
      this.onBacklog(this.backlog);
      this.wakeIfIdle();
    }
  }

  private retryLater(k: string, item: Pending): void {
    this.retrying++;
    const timer = setTimeout(() => {
      this.retrying--;
      // A newer status enqueued meanwhile wins.
      if (!this.pending.has(k)) this.pending.set(k, item);
      this.pump();
      this.wakeIfIdle();
    }, Math.min(30_000, 200 * 2 ** ((item.attempts ?? 1) - 1)));
    timer.unref?.();
  }

  /** Writes the status when it changed; true when it did. */
  async write(obj: KureResource, ready: ReadyInput | undefined, extra: StatusExtra = {}, side?: SideStatus): Promise<boolean> {
    const k = refKey(refOf(obj));
    const prev = this.writing.get(k);
    const run = (prev ?? Promise.resolve()).catch(() => undefined).then(() => this.writeNow(k, obj, ready, extra, side));
    this.writing.set(k, run);
    try {
      return await run;
    } finally {
      if (this.writing.get(k) === run) this.writing.delete(k);
    }
  }

  private async writeNow(k: string, obj: KureResource, ready: ReadyInput | undefined, extra: StatusExtra, side: SideStatus | undefined): Promise<boolean> {
    const rv = obj.metadata.resourceVersion;
    const mine = this.written.get(k);
    const current = (mine && mine.before === rv ? mine.status : obj.status) as Record<string, unknown> | undefined;
    let next: Record<string, unknown> = ready ? nextStatus(current, obj.metadata.generation, ready, this.now(), extra) : { ...(current ?? {}) };
    if (side) next = { ...next, ...side.fields, conditions: setCondition(next.conditions as never, side.condition, this.now()) };
    if (statusEqual(current, next)) return false;
    await this.kube.patchStatus(obj.kind as KureKind, obj.metadata.namespace ?? '', obj.metadata.name, next);
    this.written.set(k, { before: rv, status: next });
    if (this.written.size > MAX_REMEMBERED) this.written.clear();
    return true;
  }

}
