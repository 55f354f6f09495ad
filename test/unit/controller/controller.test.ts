import pino from 'pino';
import { Controller } from '../../../src/controller/controller.js';
import { ControllerMetrics } from '../../../src/controller/metrics.js';
import { TerminalError, TransientError, type Result } from '../../../src/controller/reconcile.js';

const codec = { key: (r: { id: string }) => r.id, parse: (id: string) => ({ id }) };

/** A controller whose reconciler answers from a script per request id, recording every call. */
function setup(script: Record<string, (n: number) => Result | Error>) {
  const calls: string[] = [];
  const finished: string[] = [];
  const metrics = new ControllerMetrics();
  const c = new Controller({
    name: 'test',
    codec,
    concurrency: 2,
    baseDelayMs: 5,
    logger: pino({ level: 'silent' }),
    metrics,
    reconciler: {
      reconcile: async ({ id }) => {
        calls.push(id);
        const out = script[id]!(calls.filter((x) => x === id).length);
        if (out instanceof Error) throw out;
        return out;
      },
    },
    onFinished: ({ id }) => finished.push(id),
  });
  return { c, calls, finished, metrics };
}

const until = async (what: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const value = async (m: ControllerMetrics, name: string, labels: Record<string, string>) =>
  (await m.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;

describe('Controller', () => {
  it('maps each outcome to the queue in one place: done, requeue after, retry with backoff, terminal', async () => {
    const { c, calls, metrics } = setup({
      ok: () => ({}),
      later: (n) => (n === 1 ? { requeueAfterMs: 30 } : {}),
      flaky: (n) => (n < 3 ? new TransientError('git down', 'GitError') : {}),
      broken: () => new TerminalError('spec.x: bad', 'InvalidSpec'),
      bug: (n) => (n === 1 ? new Error('unexpected') : {}),
    });
    c.start();
    for (const id of ['ok', 'later', 'flaky', 'broken', 'bug']) c.enqueue({ id });
    await until(() => calls.filter((x) => x === 'flaky').length === 3 && calls.filter((x) => x === 'later').length === 2 && calls.filter((x) => x === 'bug').length === 2);
    await new Promise((r) => setTimeout(r, 100));
    await c.stop(1000);
    c.shutDown();
    const count = (id: string) => calls.filter((x) => x === id).length;
    expect({ ok: count('ok'), later: count('later'), flaky: count('flaky'), broken: count('broken'), bug: count('bug') }).toEqual({ ok: 1, later: 2, flaky: 3, broken: 1, bug: 2 });
    expect(c.queue.numRequeues('flaky')).toBe(0); // forgotten after the success
    expect(await value(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result: 'success' })).toBe(4);
    expect(await value(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result: 'requeue_after' })).toBe(1);
    expect(await value(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result: 'error' })).toBe(4);
    expect(await value(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'test' })).toBe(4);
    expect(await value(metrics, 'controller_runtime_terminal_reconcile_errors_total', { controller: 'test' })).toBe(1);
    expect(await value(metrics, 'workqueue_retries_total', { name: 'test' })).toBe(3);
    expect(await value(metrics, 'controller_runtime_max_concurrent_reconciles', { controller: 'test' })).toBe(2);
    expect(await value(metrics, 'controller_runtime_active_workers', { controller: 'test' })).toBe(0);
    expect(await value(metrics, 'workqueue_adds_total', { name: 'test' })).toBeGreaterThanOrEqual(5);
  });

  it('holds requests queued before start and while stopped, and processes them when started', async () => {
    const { c, calls } = setup({ a: () => ({}), b: () => ({}) });
    c.enqueue({ id: 'a' });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
    c.start();
    await until(() => calls.length === 1);
    await c.stop(1000);
    c.enqueue({ id: 'b' });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['a']);
    c.start();
    await until(() => calls.length === 2);
    await c.stop(1000);
    c.shutDown();
    expect(calls).toEqual(['a', 'b']);
  });
});
