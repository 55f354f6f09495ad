// Kubernetes Events (events.k8s.io/v1) for commits and failures, with de-duplication: the same
// (object, type, reason, note) within the window becomes one Event whose series count grows,
// rather than a new Event per reconcile. Recording never fails a reconcile.
import { V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import type { EventWriter } from './kube.js';
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
  count: number;
  first: number;
  last: number;
}

export interface EventRecorderOptions {
  controller?: string;
  instance: string;
  logger: Logger;
  /** Identical events within this window are aggregated (default 10 min). */
  windowMs?: number;
  /** Patch the series at most this often per event (default 30 s). */
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

  /** Records an event; resolves when written (or dropped). Never rejects. */
  record(target: EventTarget, type: EventType, reason: string, note: string, action = 'Reconcile'): Promise<void> {
    const p = this.write(target, type, reason, scrubString(note), action).catch((err: unknown) => {
      this.o.logger.warn({ err, reason, object: `${target.kind} ${target.metadata.namespace}/${target.metadata.name}` }, 'could not record event');
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /** Waits for events being written (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async write(target: EventTarget, type: EventType, reason: string, note: string, action: string): Promise<void> {
    const namespace = target.metadata.namespace ?? 'default';
    const id = `${target.metadata.uid ?? `${target.kind}/${namespace}/${target.metadata.name}`}|${type}|${reason}|${note}`;
    const now = this.now();
    this.gc(now);
    const seen = this.seen.get(id);
    if (seen && now - seen.first < this.windowMs) {
      seen.count++;
      if (now - seen.last < this.seriesEveryMs) return;
      seen.last = now;
      await this.client.patchEventSeries(seen.namespace, seen.name, { count: seen.count, lastObservedTime: new Date(now) });
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
    this.seen.set(id, { name, namespace, count: 1, first: now, last: now });
    await this.client.createEvent(namespace, event);
  }

  private gc(now: number): void {
    if (this.seen.size < 1000) return;
    for (const [k, v] of this.seen) if (now - v.first >= this.windowMs) this.seen.delete(k);
  }
}
