import { pino } from 'pino';
import { Reflector, type WatchFn } from '../../../src/controller/informers.js';

interface Obj {
  metadata: { name: string; namespace: string; resourceVersion: string };
}
const o = (name: string, rv: string): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

/** A scripted API: list() answers from `items`; each watch call runs the next script step. */
function fakeApi() {
  const calls: { params: Record<string, unknown> }[] = [];
  const state = { items: [o('a', '1')], rv: '10', listCalls: 0, listFail: 0 };
  type Step = (cb: (phase: string, obj: unknown) => void, done: (err: unknown) => void) => void;
  const steps: Step[] = [];
  const watch: WatchFn = async (_path, params, cb, done) => {
    calls.push({ params });
    const step = steps.shift();
    const ctrl = new AbortController();
    ctrl.signal.addEventListener('abort', () => done(null));
    if (step) setImmediate(() => step(cb, done));
    return ctrl;
  };
  const list = async () => {
    state.listCalls++;
    if (state.listFail > 0) {
      state.listFail--;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }
    return { items: state.items, resourceVersion: state.rv };
  };
  return { calls, state, steps, watch, list };
}

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Reflector', () => {
  it('lists, then watches from the list resourceVersion with a timeout and bookmarks; applies events', async () => {
    const api = fakeApi();
    api.steps.push((cb) => {
      cb('ADDED', o('b', '11'));
      cb('MODIFIED', o('a', '12'));
      cb('BOOKMARK', { metadata: { resourceVersion: '13' } });
      cb('DELETED', o('b', '14'));
    });
    const events: string[] = [];
    const r = new Reflector<Obj>({ resource: 't', path: '/x', list: api.list, watch: api.watch, watchTimeoutSeconds: 60, logger: pino({ level: 'silent' }) });
    r.on((type, obj) => events.push(`${type}:${obj.metadata.name}@${obj.metadata.resourceVersion}`));
    r.start();
    await r.waitForSync();
    await until(() => events.length === 4);
    expect(events).toEqual(['add:a@1', 'add:b@11', 'update:a@12', 'delete:b@14']);
    expect(api.calls[0]!.params).toMatchObject({ resourceVersion: '10', allowWatchBookmarks: true });
    expect(api.calls[0]!.params.timeoutSeconds).toBeGreaterThanOrEqual(60);
    expect(r.list().map((x) => x.metadata.name)).toEqual(['a']);
    await r.stop();
  });

  it('watches with its label selector (Secrets: kure.dev/credentials=true), on every re-watch; none without one', async () => {
    const api = fakeApi();
    api.steps.push((_cb, done) => done(null));
    const r = new Reflector<Obj>({ resource: 'secrets', path: '/api/v1/secrets', list: api.list, watch: api.watch, labelSelector: 'kure.dev/credentials=true', watchTimeoutSeconds: 60, logger: pino({ level: 'silent' }), minBackoffMs: 1 });
    r.start();
    await until(() => api.calls.length === 2);
    for (const c of api.calls) expect(c.params).toMatchObject({ labelSelector: 'kure.dev/credentials=true', resourceVersion: '10' });
    await r.stop();
    const plain = fakeApi();
    const r2 = new Reflector<Obj>({ resource: 't', path: '/x', list: plain.list, watch: plain.watch, watchTimeoutSeconds: 60, logger: pino({ level: 'silent' }) });
    r2.start();
    await until(() => plain.calls.length === 1);
    expect(plain.calls[0]!.params).not.toHaveProperty('labelSelector');
    await r2.stop();
  });

  it('re-lists on 410 Gone and reports only real changes', async () => {
    const api = fakeApi();
    const restarts: string[] = [];
    api.steps.push((cb) => {
      api.state.items = [o('a', '1'), o('c', '20')];
      api.state.rv = '21';
      cb('ERROR', { code: 410, message: 'too old resource version' });
    });
    const events: string[] = [];
    const r = new Reflector<Obj>({ resource: 't', path: '/x', list: api.list, watch: api.watch, watchTimeoutSeconds: 60, logger: pino({ level: 'silent' }), onRestart: (x) => restarts.push(x), minBackoffMs: 1 });
    r.on((type, obj) => events.push(`${type}:${obj.metadata.name}`));
    r.start();
    await until(() => api.state.listCalls === 2 && api.calls.length === 2);
    expect(restarts).toContain('gone');
    expect(events).toEqual(['add:a', 'add:c']); // a unchanged: no spurious update
    expect(api.calls[1]!.params.resourceVersion).toBe('21');
    await r.stop();
  });

  it('keeps retrying with backoff after errors instead of stopping, and recovers', async () => {
    const api = fakeApi();
    api.state.listFail = 3;
    const restarts: string[] = [];
    const r = new Reflector<Obj>({ resource: 't', path: '/x', list: api.list, watch: api.watch, watchTimeoutSeconds: 60, logger: pino({ level: 'silent' }), onRestart: (x) => restarts.push(x), minBackoffMs: 2, unhealthyAfterMs: 0 });
    r.start();
    await r.waitForSync();
    expect(api.state.listCalls).toBe(4);
    expect(restarts.filter((x) => x === 'error')).toHaveLength(3);
    expect(r.healthy()).toBe(true);
    // A watch that fails (API server gone) is retried too.
    await until(() => api.calls.length === 1);
    api.steps.push((_cb, done) => done(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    r.restart('test');
    await until(() => restarts.filter((x) => x === 'error').length === 4);
    await until(() => api.calls.length >= 3);
    await r.stop();
  });

  it('honours Retry-After on 429 instead of growing the backoff', async () => {
    const api = fakeApi();
    let throttled = 2;
    const list = async () => {
      if (throttled-- > 0) throw Object.assign(new Error('storage is (re)initializing'), { code: 429, headers: { 'retry-after': '0.05' } });
      return api.list();
    };
    const waits: number[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void waits.push(JSON.parse(line).retryInMs) });
    // A large minimum backoff: were 429 treated as an ordinary failure, the test would time out.
    const r = new Reflector<Obj>({ resource: 't', path: '/x', list, watch: api.watch, watchTimeoutSeconds: 60, logger, minBackoffMs: 10_000 });
    const started = Date.now();
    r.start();
    await r.waitForSync();
    expect(waits).toEqual([50, 50]);
    expect(Date.now() - started).toBeLessThan(2000);
    await r.stop();
  });

  it('stop() right after the sync, before the watch starts, still stops', async () => {
    const api = fakeApi();
    const r = new Reflector<Obj>({ resource: 't', path: '/x', list: api.list, watch: api.watch, watchTimeoutSeconds: 60, logger: pino({ level: 'silent' }) });
    r.start();
    await r.waitForSync();
    // The reflector is between its list and its watch here; stop() used to miss the watch and hang.
    const outcome = await Promise.race([r.stop().then(() => 'stopped'), new Promise((res) => setTimeout(() => res('hung'), 2000))]);
    expect(outcome).toBe('stopped');
    expect(api.calls).toHaveLength(0);
  });
});
