import { jest } from '@jest/globals';
import { ExponentialBackoff, WorkQueue } from '../../../src/controller/queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('ExponentialBackoff', () => {
  it('doubles from 5 ms and caps at 1,000 s, per key; forget resets', () => {
    const b = new ExponentialBackoff();
    expect([b.when('a'), b.when('a'), b.when('a'), b.when('a')]).toEqual([5, 10, 20, 40]);
    expect(b.when('b')).toBe(5);
    for (let i = 0; i < 40; i++) b.when('a');
    expect(b.when('a')).toBe(1_000_000);
    expect(b.numRequeues('a')).toBe(45);
    b.forget('a');
    expect(b.when('a')).toBe(5);
  });
});

describe('WorkQueue', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] }));
  afterEach(() => jest.useRealTimers());

  it('de-duplicates: many adds of a key give one item', async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 100; i++) q.add('ns/a');
    q.add('ns/b');
    expect(q.depth()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.depth()).toBe(0);
  });

  it('hands out low-priority keys (a resync) only when no normal key is ready; a normal add lifts one', async () => {
    const q = new WorkQueue();
    for (const k of ['r1', 'r2', 'r3']) q.add(k, 'low');
    q.add('change');
    q.add('r3'); // an event for a key the resync queued too: it is no longer behind the others
    q.add('r1', 'low');
    expect(q.depth()).toBe(4);
    const order: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) order.push(await q.get());
    expect(order).toEqual(['change', 'r3', 'r1', 'r2']);
    // A low add does not lower a key already queued at normal priority.
    for (const k of order) q.done(k!);
    q.add('n');
    q.add('n', 'low');
    q.add('m', 'low');
    expect([await q.get(), await q.get()]).toEqual(['n', 'm']);
  });

  it('keeps at most one in-flight reconcile per key and re-queues a key added meanwhile after done()', async () => {
    const q = new WorkQueue();
    q.add('k');
    const k = await q.get();
    q.add('k');
    q.add('k');
    let got: string | undefined;
    void q.get().then((x) => (got = x));
    await tick();
    expect(got).toBeUndefined(); // not handed out while in flight
    q.done(k!);
    await tick();
    expect(got).toBe('k');
    q.done('k');
    expect(q.depth()).toBe(0);
  });

  it('settles: a key becomes ready only after the settle window without further adds', async () => {
    const q = new WorkQueue({ settleMs: 500, maxSettleMs: 5000 });
    let got: string | undefined;
    void q.get().then((x) => (got = x));
    q.add('k');
    jest.advanceTimersByTime(400);
    q.add('k'); // resets the trailing window
    jest.advanceTimersByTime(400);
    await tick();
    expect(got).toBeUndefined();
    jest.advanceTimersByTime(100);
    await tick();
    expect(got).toBe('k');
  });

  it('caps the settle delay at maxSettleMs under a continuous stream of adds', async () => {
    const q = new WorkQueue({ settleMs: 500, maxSettleMs: 2000 });
    let got: string | undefined;
    let at = 0;
    void q.get().then((x) => ((got = x), (at = Date.now())));
    const start = Date.now();
    for (let i = 0; i < 50 && got === undefined; i++) {
      q.add('k');
      jest.advanceTimersByTime(100);
      await tick();
    }
    expect(got).toBe('k');
    expect(at - start).toBeLessThanOrEqual(2000);
    expect(at - start).toBeGreaterThanOrEqual(2000 - 100);
  });

  it('backs off a failing key exponentially and forget() resets it', async () => {
    const q = new WorkQueue();
    q.add('k');
    await q.get();
    expect(q.addRateLimited('k')).toBe(5);
    q.done('k');
    jest.advanceTimersByTime(5);
    expect(await q.get()).toBe('k');
    expect(q.addRateLimited('k')).toBe(10);
    q.done('k');
    expect(q.numRequeues('k')).toBe(2);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
  });

  it('addAfter keeps the earlier time', async () => {
    const q = new WorkQueue();
    q.addAfter('k', 1000);
    q.addAfter('k', 5000);
    let got: string | undefined;
    void q.get().then((x) => (got = x));
    jest.advanceTimersByTime(1000);
    await tick();
    expect(got).toBe('k');
  });

  it('reports its depth and resolves waiting getters with undefined on shutdown', async () => {
    const depths: number[] = [];
    const q = new WorkQueue({ settleMs: 10, metrics: { depth: (d) => depths.push(d), added: () => {}, retried: () => {}, queued: () => {}, worked: () => {} } });
    q.add('a');
    q.add('b');
    expect(q.depth()).toBe(2);
    const waiting = q.get();
    jest.advanceTimersByTime(10);
    expect(await waiting).toBe('a');
    q.shutDown();
    expect(await q.get()).toBeUndefined();
    q.add('c');
    expect(q.depth()).toBe(0);
    expect(depths).toContain(2);
    expect(depths.at(-1)).toBe(0);
  });

  it('releaseGetters wakes idle workers without shutting the queue down', async () => {
    const q = new WorkQueue();
    const w = q.get();
    q.releaseGetters();
    expect(await w).toBeUndefined();
    q.add('k');
    expect(await q.get()).toBe('k');
  });
});
