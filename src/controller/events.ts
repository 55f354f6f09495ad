// Kubernetes Events (events.k8s.io/v1) for commits and failures, with de-duplication: the same
// (object, type, reason, note) within the window becomes one Event whose series count grows,
// rather than a new Event per reconcile. Recording never fails a reconcile.
import { V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import { statusCode, type EventWriter } from './kube.js';
import { scrubString, type Logger } from './logger.js';

export type EventType = 'Normal' | 'Warning';

export interface EventTarget {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

interface Seen {
  name: string;
  namespace: string;
  /** The Event as created, to create it again if it disappears (expired, deleted) under the series. */
  event: EventsV1Event;
  /** Occurrences so far, and the count the API server has. */
  count: number;
  written: number;
  first: number;
  /** When the last occurrence was observed, and when the series was last written. */
  last: number;
  lastWrite: number;
  /** A deferred series write (repeats inside seriesEveryMs). */
  timer?: ReturnType<typeof setTimeout>;
  /** Writes of one Event are serialised (a repeat never patches an Event still being created). */
  chain: Promise<void>;
}

export interface EventRecorderOptions {
  controller?: string;
  instance: string;
  logger: Logger;
  /** Identical events within this window are aggregated (default 10 min). */
  windowMs?: number;
  /**
   * Patch the series at most this often per event (default 30 s). Repeats in between are counted and
   * written when the interval has passed (a timer), or by flush().
   */
  seriesEveryMs?: number;
  now?: () => number;
}

const MAX_NOTE = 1024;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly controller: string;
  private readonly windowMs: number;
  private readonly seriesEveryMs: number;
  private readonly now: () => number;
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly client: EventWriter,
    private readonly o: EventRecorderOptions,
  ) {
    this.controller = o.controller ?? 'kure.dev/controller';
    this.windowMs = o.windowMs ?? 10 * 60_000;
    this.seriesEveryMs = o.seriesEveryMs ?? 30_000;
    this.now = o.now ?? Date.now;
  }

  /** Records an event; resolves when written (or dropped, or deferred into the series). Never rejects. */
  record(target: EventTarget, type: EventType, reason: string, note: string, action = 'Reconcile'): Promise<void> {
    const object = `${target.kind} ${target.metadata.namespace ?? 'default'}/${target.metadata.name}`;
    return this.track(this.write(target, type, reason, scrubString(note), action, object));
  }

  /** Writes the series counts still deferred and waits for every event being written (shutdown, tests). */
  async flush(): Promise<void> {
    for (const seen of this.seen.values()) {
      if (!seen.timer) continue;
      clearTimeout(seen.timer);
      seen.timer = undefined;
      void this.track(this.writeSeries(seen));
    }
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): Promise<void> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  private async write(target: EventTarget, type: EventType, reason: string, note: string, action: string, object: string): Promise<void> {
    const namespace = target.metadata.namespace ?? 'default';
    const id = `${target.metadata.uid ?? `${target.kind}/${namespace}/${target.metadata.name}`}|${type}|${reason}|${note}`;
    const now = this.now();
    this.gc(now);
    const seen = this.seen.get(id);
    if (seen && now - seen.first < this.windowMs) {
      seen.count++;
      seen.last = now;
      const wait = seen.lastWrite + this.seriesEveryMs - now;
      if (wait <= 0) return this.writeSeries(seen);
      // Inside the interval: counted now, written once it has passed (unless a write is already due).
      seen.timer ??= setTimeout(() => {
        seen.timer = undefined;
        void this.track(this.writeSeries(seen));
      }, wait);
      seen.timer.unref?.();
      return;
    }
    const name = `${target.metadata.name}.${now.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const event: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: new V1MicroTime(now),
      type,
      reason,
      action,
      note: note.length > MAX_NOTE ? `${note.slice(0, MAX_NOTE - 1)}…` : note,
      reportingController: this.controller,
      reportingInstance: this.o.instance.slice(0, 128),
      regarding: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.metadata.name,
        namespace,
        uid: target.metadata.uid,
        resourceVersion: target.metadata.resourceVersion,
      },
    };
    if (seen?.timer) clearTimeout(seen.timer); // the old series' last count is given up with its window
    const entry: Seen = { name, namespace, event, count: 1, written: 1, first: now, last: now, lastWrite: now, chain: Promise.resolve() };
    this.seen.set(id, entry);
    const created = this.client.createEvent(namespace, event).then(() => undefined);
    // A failed create leaves nothing to patch: the next repeat creates the Event again.
    entry.chain = created.catch(() => void this.seen.delete(id));
    await created.catch((err: unknown) => this.warn(err, reason, object));
  }

  /** Writes the series (count, lastObservedTime) of one Event; an Event gone from the server is created again with it. */
  private writeSeries(seen: Seen): Promise<void> {
    const step = async () => {
      const count = seen.count;
      if (count <= seen.written) return;
      const lastObservedTime = new Date(seen.last);
      seen.lastWrite = this.now();
      try {
        await this.client.patchEventSeries(seen.namespace, seen.name, { count, lastObservedTime });
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
        // Expired (the API server keeps Events for --event-ttl, 1 h by default) or deleted: a new Event carries the series on.
        seen.name = `${seen.event.regarding?.name ?? 'event'}.${seen.lastWrite.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
        seen.event = { ...seen.event, metadata: { name: seen.name, namespace: seen.namespace }, series: { count, lastObservedTime: new V1MicroTime(seen.last) } };
        await this.client.createEvent(seen.namespace, seen.event);
      }
      seen.written = Math.max(seen.written, count);
    };
    const run = seen.chain.then(step);
    seen.chain = run.catch(() => undefined);
    return run.catch((err: unknown) => this.warn(err, seen.event.reason ?? '', `${seen.event.regarding?.kind} ${seen.namespace}/${seen.event.regarding?.name}`));
  }

  private warn(err: unknown, reason: string, object: string): void {
    this.o.logger.warn({ err: brief(err), reason, object }, 'could not record event');
  }

  private gc(now: number): void {
    if (this.seen.size < 1000) return;
    for (const [k, v] of this.seen) if (now - v.first >= this.windowMs && !v.timer) this.seen.delete(k);
  }
}

/**
 * An API error as one line: the status code and the server's message. client-node's ApiException
 * carries the whole response body (for a rejected Event, the Event echoed back, twice) in its message.
 */
function brief(err: unknown): { message: string; code?: number } {
  const code = statusCode(err);
  const body = (err as { body?: unknown } | undefined)?.body;
  let message: string | undefined;
  try {
    const parsed = typeof body === 'string' ? (JSON.parse(body) as { message?: unknown }) : (body as { message?: unknown } | undefined);
    if (typeof parsed?.message === 'string') message = parsed.message;
  } catch {
    // not JSON
  }
  message ??= err instanceof Error ? err.message : String(err);
  if (message.length > 500) message = `${message.slice(0, 499)}…`;
  return code === undefined ? { message } : { message, code };
}
