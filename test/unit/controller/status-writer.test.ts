import type { KureResource } from '../../../src/api/schema.js';
import { StatusWriter } from '../../../src/controller/status-writer.js';

const obj = (name: string): KureResource =>
  ({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureApplication', metadata: { name, namespace: 'ns', generation: 1, resourceVersion: '1' }, spec: {} }) as unknown as KureResource;
const ready = (message: string) => ({ status: 'True' as const, reason: 'Rendered', message });

describe('StatusWriter', () => {
  it('delivers enqueued statuses in the background, newest per object, and only when they change', async () => {
    const writes: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const kube = {
      patchStatus: async (_kind: string, _ns: string, name: string, status: Record<string, unknown>) => {
        await gate;
        writes.push(`${name}:${(status.conditions as { message: string }[])[0]!.message}`);
      },
    };
    const w = new StatusWriter(kube, () => new Date('2025-01-01T00:00:00Z'), 1);
    w.enqueue(obj('a'), ready('a1')); // taken at once, waits on the gate
    w.enqueue(obj('b'), ready('b1'));
    w.enqueue(obj('b'), ready('b2')); // replaces b1, not yet written
    w.enqueue(obj('c'), ready('c1'));
    expect(w.backlog).toBe(3);
    release();
    await w.idle();
    expect(writes).toEqual(['a:a1', 'b:b2', 'c:c1']);
    // The same status again: compared against what was written, no write.
    w.enqueue(obj('c'), ready('c1'));
    await w.idle();
    expect(writes).toHaveLength(3);
  });

  it('a failed write is reported and does not stop the others', async () => {
    const failed: string[] = [];
    const kube = {
      patchStatus: async (_k: string, _n: string, name: string) => {
        if (name === 'bad') throw new Error('404');
      },
    };
    const w = new StatusWriter(kube, () => new Date(), 2, (_err, o) => failed.push(o.metadata.name), undefined, 0);
    for (const n of ['x', 'bad', 'y']) w.enqueue(obj(n), ready(n));
    await w.idle();
    expect(failed).toEqual(['bad']);
    expect(w.backlog).toBe(0);
  });

  it('retries a failed write (nothing else would write it), but not for an object that is gone', async () => {
    const calls: string[] = [];
    const kube = {
      patchStatus: async (_k: string, _n: string, name: string) => {
        calls.push(name);
        if (name === 'gone') throw Object.assign(new Error('not found'), { code: 404 });
        if (name === 'flaky' && calls.filter((c) => c === 'flaky').length < 3) throw Object.assign(new Error('too many requests'), { code: 429 });
      },
    };
    const pending: number[] = [];
    const w = new StatusWriter(kube, () => new Date(), 2, () => undefined, (n) => pending.push(n));
    w.enqueue(obj('flaky'), ready('f'));
    w.enqueue(obj('gone'), ready('g'));
    await w.idle();
    expect(calls.filter((c) => c === 'flaky')).toHaveLength(3);
    expect(calls.filter((c) => c === 'gone')).toHaveLength(1);
    expect(pending.at(-1)).toBe(0);
    expect(Math.max(...pending)).toBeGreaterThan(0);
  });
});
