import { pino } from 'pino';
import { Reflector, type ReflectorOptions, type WatchFn } from '../../../src/controller/informers.js';
import { FakeClock, until } from '../support/clock.js';

// The reflectors run on a FakeClock: backoffs, the watchdog and the list timeout take their real
// default lengths (250 ms .. 30 s, 150 s, 60 s) and the tests wait for none of them.

interface Obj {
  metadata: { name: string; namespace: string; resourceVersion: string };
}
const o = (name: string, rv: string): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });
const silent = pino({ level: 'silent' });

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

/** A reflector over `api` on `clock`, with the defaults of the options not given. */
const reflector = (api: ReturnType<typeof fakeApi>, clock: FakeClock, o: Partial<ReflectorOptions<Obj>> = {}) =>
  new Reflector<Obj>({ resource: 't', path: '/x', list: api.list, watch: api.watch, watchTimeoutSeconds: 60, logger: silent, clock, ...o });

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
    const r = reflector(api, new FakeClock());
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
    const clock = new FakeClock();
    api.steps.push((_cb, done) => done(null));
    const r = reflector(api, clock, { resource: 'secrets', path: '/api/v1/secrets', labelSelector: 'kure.dev/credentials=true' });
    r.start();
    await clock.advance(250); // the watch closed at once: re-watched after the minimum backoff
    await until(() => api.calls.length === 2);
    for (const c of api.calls) expect(c.params).toMatchObject({ labelSelector: 'kure.dev/credentials=true', resourceVersion: '10' });
    await r.stop();
    const plain = fakeApi();
    const r2 = reflector(plain, clock);
    r2.start();
    await until(() => plain.calls.length === 1);
    expect(plain.calls[0]!.params).not.toHaveProperty('labelSelector');
    await r2.stop();
  });

  it('backs off watches that end at once without failing: 250 ms doubling, reset by a watch that lasted', async () => {
    const api = fakeApi();
    const clock = new FakeClock();
    const close = (_cb: unknown, done: (err: unknown) => void) => done(null);
    api.steps.push(close, close, close);
    const r = reflector(api, clock);
    r.start();
    await until(() => api.calls.length === 1);
    let calls = 1;
    for (const wait of [250, 500, 1000]) {
      await clock.advance(wait - 1);
      expect(api.calls).toHaveLength(calls);
      await clock.advance(1);
      expect(api.calls).toHaveLength(++calls);
    }
    // The fourth watch stays open for 5 s, then closes: re-watched at once, and the backoff is reset.
    await clock.advance(5000);
    api.steps.push(close);
    r.restart('test');
    await until(() => api.calls.length === 5);
    await clock.advance(249);
    expect(api.calls).toHaveLength(5);
    await clock.advance(1);
    expect(api.calls).toHaveLength(6);
    await r.stop();
  });

  it('re-lists on 410 Gone and reports only real changes', async () => {
    const api = fakeApi();
    const clock = new FakeClock();
    const restarts: string[] = [];
    api.steps.push((cb) => {
      api.state.items = [o('a', '1'), o('c', '20')];
      api.state.rv = '21';
      cb('ERROR', { code: 410, message: 'too old resource version' });
    });
    const events: string[] = [];
    const r = reflector(api, clock, { onRestart: (x) => restarts.push(x) });
    r.on((type, obj) => events.push(`${type}:${obj.metadata.name}`));
    r.start();
    await clock.advance(250);
    await until(() => api.state.listCalls === 2 && api.calls.length === 2);
    expect(restarts).toContain('gone');
    expect(events).toEqual(['add:a', 'add:c']); // a unchanged: no spurious update
    expect(api.calls[1]!.params.resourceVersion).toBe('21');
    await r.stop();
  });

  it('keeps retrying with backoff after errors instead of stopping, and recovers', async () => {
    const api = fakeApi();
    const clock = new FakeClock();
    api.state.listFail = 3;
    const restarts: string[] = [];
    const r = reflector(api, clock, { onRestart: (x) => restarts.push(x), unhealthyAfterMs: 0 });
    r.start();
    await until(() => api.state.listCalls === 1);
    for (const [i, wait] of [250, 500, 1000].entries()) {
      await clock.advance(wait - 1);
      expect(api.state.listCalls).toBe(i + 1);
      await clock.advance(1);
      expect(api.state.listCalls).toBe(i + 2);
    }
    await r.waitForSync();
    expect(api.state.listCalls).toBe(4);
    expect(restarts.filter((x) => x === 'error')).toHaveLength(3);
    expect(r.healthy()).toBe(true);
    // A watch that fails (API server gone) is retried too.
    await until(() => api.calls.length === 1);
    api.steps.push((_cb, done) => done(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    r.restart('test');
    await clock.advance(250);
    await until(() => restarts.filter((x) => x === 'error').length === 4);
    expect(r.healthy()).toBe(false); // failing, and unhealthyAfterMs is 0
    await clock.advance(250); // the backoff was reset by the successful list
    await until(() => api.calls.length >= 3);
    expect(r.healthy()).toBe(true);
    await r.stop();
  });

  it('stays healthy for unhealthyAfterMs (30 s) of failing re-lists, then not; healthy again once a list succeeds', async () => {
    const api = fakeApi();
    const clock = new FakeClock();
    const restarts: string[] = [];
    api.steps.push((cb) => {
      api.state.listFail = 1000;
      cb('ERROR', { code: 410, message: 'too old resource version' });
    });
    const r = reflector(api, clock, { onRestart: (x) => restarts.push(x) });
    r.start();
    await r.waitForSync();
    await until(() => restarts.includes('gone'));
    await clock.advance(250); // re-list after the quick-end backoff: it fails
    expect(restarts).toContain('error');
    const failedAt = clock.now();
    await clock.advance(29_999);
    expect(r.healthy()).toBe(true);
    await clock.advance(1);
    expect(r.healthy()).toBe(false);
    expect(clock.now() - failedAt).toBe(30_000);
    api.state.listFail = 0;
    await clock.advance(30_000); // the backoff is capped at 30 s
    expect(r.healthy()).toBe(true);
    await r.stop();
  });

  it('honours Retry-After on 429 instead of growing the backoff', async () => {
    const api = fakeApi();
    const clock = new FakeClock();
    let throttled = 2;
    const list = async () => {
      if (throttled-- > 0) throw Object.assign(new Error('storage is (re)initializing'), { code: 429, headers: { 'retry-after': '0.05' } });
      return api.list();
    };
    const waits: number[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void waits.push(JSON.parse(line).retryInMs) });
    // A large minimum backoff: were 429 treated as an ordinary failure, the sync would take 10 s.
    const r = reflector(api, clock, { list, logger, minBackoffMs: 10_000 });
    r.start();
    await clock.advance(99);
    expect(r.hasSynced()).toBe(false);
    await clock.advance(1);
    expect(r.hasSynced()).toBe(true);
    expect(waits).toEqual([50, 50]);
    await r.stop();
  });

  it('gives a list up after listTimeoutMs (60 s) and retries it with backoff', async () => {
    const api = fakeApi();
    const clock = new FakeClock();
    const restarts: string[] = [];
    let hang = true;
    const list = () => (hang ? ((hang = false), new Promise<never>(() => {})) : api.list());
    const r = reflector(api, clock, { list, onRestart: (x) => restarts.push(x) });
    r.start();
    await clock.advance(59_999);
    expect(restarts).toEqual([]);
    await clock.advance(1);
    expect(restarts).toEqual(['error']);
    expect(r.hasSynced()).toBe(false);
    await clock.advance(250);
    expect(r.hasSynced()).toBe(true);
    await r.stop();
  });

  it('restarts (and re-lists) a watch silent for longer than 1.5 × its timeout + 60 s', async () => {
    const api = fakeApi();
    const clock = new FakeClock();
    const restarts: string[] = [];
    let send: ((phase: string, obj: unknown) => void) | undefined;
    api.steps.push((cb) => (send = cb));
    const r = reflector(api, clock, { onRestart: (x) => restarts.push(x) });
    r.start();
    await until(() => send !== undefined);
    // watchTimeoutSeconds 60: silent for more than 150 s, checked every 15 s. A bookmark at 10 s is
    // a sign of life: the check at 165 s is the first to find 150 s of silence exceeded (155 s).
    await clock.advance(10_000);
    send!('BOOKMARK', { metadata: { resourceVersion: '11' } });
    await clock.advance(150_000);
    expect(restarts).toEqual([]);
    await clock.advance(5_000);
    expect(restarts).toEqual(['watchdog']);
    await until(() => api.state.listCalls === 2 && api.calls.length === 2);
    expect(api.calls[1]!.params.resourceVersion).toBe('10');
    await r.stop();
    expect(clock.pending).toBe(0); // stop() cleared the watchdog
  });

  it('stop() right after the sync, before the watch starts, still stops', async () => {
    const api = fakeApi();
    const r = reflector(api, new FakeClock());
    r.start();
    await r.waitForSync();
    // The reflector is between its list and its watch here; stop() used to miss the watch and hang.
    let stopped = false;
    void r.stop().then(() => (stopped = true));
    await until(() => stopped);
    expect(api.calls).toHaveLength(0);
  });
});
