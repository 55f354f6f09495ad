// Writes the status subresource of Kure objects, only when it changes (ignoring
// lastTransitionTime), and remembers what it wrote: the next reconcile may run before the watch
// delivers our own write, and must compare against it rather than against the stale cache.
import type { KureKind, KureResource } from '../api/schema.js';
import { refKey, refOf } from '../model/problems.js';
import type { KureWriter } from './kube.js';
import { nextStatus, statusEqual, type ReadyInput } from './status.js';

export type StatusExtra = Parameters<typeof nextStatus>[4];

const MAX_REMEMBERED = 50_000;

export class StatusWriter {
  /** Status we wrote, by refKey, with the resourceVersion the object had before. */
  private readonly written = new Map<string, { before: string | undefined; status: Record<string, unknown> }>();

  constructor(
    private readonly kube: Pick<KureWriter, 'patchStatus'>,
    private readonly now: () => Date,
    private readonly concurrency = 16,
  ) {}

  async write(obj: KureResource, ready: ReadyInput, extra: StatusExtra = {}): Promise<void> {
    const k = refKey(refOf(obj));
    const rv = obj.metadata.resourceVersion;
    const mine = this.written.get(k);
    const current = (mine && mine.before === rv ? mine.status : obj.status) as Record<string, unknown> | undefined;
    const next = nextStatus(current, obj.metadata.generation, ready, this.now(), extra);
    if (statusEqual(current, next)) return;
    await this.kube.patchStatus(obj.kind as KureKind, obj.metadata.namespace ?? '', obj.metadata.name, next);
    this.written.set(k, { before: rv, status: next });
    if (this.written.size > MAX_REMEMBERED) this.written.clear();
  }

  /** Writes many, `concurrency` at a time; the first failure is thrown after all were tried. */
  async writeAll(items: readonly { obj: KureResource; ready: ReadyInput; extra?: StatusExtra }[]): Promise<void> {
    let i = 0;
    const errors: unknown[] = [];
    const worker = async () => {
      while (i < items.length) {
        const item = items[i++]!;
        try {
          await this.write(item.obj, item.ready, item.extra);
        } catch (err) {
          errors.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
    if (errors.length) throw errors[0];
  }
}
