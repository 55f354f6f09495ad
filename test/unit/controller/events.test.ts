import { jest } from '@jest/globals';
import type { EventsV1Event } from '@kubernetes/client-node';
import { pino } from 'pino';
import { EventRecorder } from '../../../src/controller/events.js';
import type { EventWriter } from '../../../src/controller/kube.js';

const target = { apiVersion: 'kure.dev/v1alpha1', kind: 'KureCluster', metadata: { name: 'prod', namespace: 'p', uid: 'u1' } };

function recorder(writer: EventWriter, o: { seriesEveryMs?: number; now?: () => number } = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { rec: new EventRecorder(writer, { instance: 'i', logger, ...o }), lines };
}

describe('EventRecorder series', () => {
  it('repeats recorded while the Event is still being created patch it after the create, never a second create', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const writer: EventWriter = {
      createEvent: async (_ns, e) => (await gate, calls.push(`create ${e.metadata?.name}`), e),
      patchEventSeries: async (_ns, name, s) => void calls.push(`patch ${name} ${s.count}`),
    };
    let now = 1000;
    const { rec } = recorder(writer, { seriesEveryMs: 0, now: () => now });
    const first = rec.record(target, 'Warning', 'GitError', 'x');
    now++;
    const second = rec.record(target, 'Warning', 'GitError', 'x');
    now++;
    const third = rec.record(target, 'Warning', 'GitError', 'x');
    release();
    await Promise.all([first, second, third]);
    // One create, then the series of that Event (both repeats may be coalesced into one patch).
    expect(calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
    expect(calls[0]).toMatch(/^create prod\./);
    const name = calls[0]!.slice('create '.length);
    expect(calls.at(-1)).toBe(`patch ${name} 3`);
    expect(calls.slice(1).every((c) => c.startsWith(`patch ${name} `))).toBe(true);
  });

  it('counts repeats inside the interval and writes the latest count once, when the interval has passed or on flush', async () => {
    jest.useFakeTimers();
    try {
      const patched: { count: number; last: number }[] = [];
      const writer: EventWriter = {
        createEvent: async (_ns, e) => e,
        patchEventSeries: async (_ns, _name, s) => void patched.push({ count: s.count, last: s.lastObservedTime.getTime() }),
      };
      let now = 0;
      const { rec } = recorder(writer, { seriesEveryMs: 30_000, now: () => now });
      await rec.record(target, 'Warning', 'GitError', 'x');
      for (let i = 0; i < 4; i++) {
        now += 1000;
        await rec.record(target, 'Warning', 'GitError', 'x');
      }
      expect(patched).toEqual([]);
      now = 30_000;
      await jest.advanceTimersByTimeAsync(26_000);
      await rec.flush();
      expect(patched).toEqual([{ count: 5, last: 4000 }]);
      now = 31_000;
      await rec.record(target, 'Warning', 'GitError', 'x');
      expect(patched).toHaveLength(1); // deferred again
      await rec.flush();
      expect(patched).toEqual([
        { count: 5, last: 4000 },
        { count: 6, last: 31_000 },
      ]);
      await rec.flush(); // nothing left: no second write of the same count
      expect(patched).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('an Event gone (404) is created again carrying the series; another failure is logged once, in one short line', async () => {
    const created: EventsV1Event[] = [];
    let patchError: unknown = Object.assign(new Error('not found'), { code: 404 });
    const writer: EventWriter = {
      createEvent: async (_ns, e) => (created.push(e), e),
      patchEventSeries: () => Promise.reject(patchError),
    };
    let now = 5000;
    const { rec, lines } = recorder(writer, { seriesEveryMs: 0, now: () => now });
    await rec.record(target, 'Normal', 'Committed', 'pushed abc');
    now += 10;
    await rec.record(target, 'Normal', 'Committed', 'pushed abc');
    expect(created).toHaveLength(2);
    expect(created[1]!.metadata!.name).not.toBe(created[0]!.metadata!.name);
    expect(created[1]!.series).toMatchObject({ count: 2 });
    expect(String((created[1]!.series!.lastObservedTime as Date).toISOString())).toBe('1970-01-01T00:00:05.010000Z');
    expect(lines).toEqual([]);

    const echoed = JSON.stringify({ kind: 'Status', message: 'Event.events.k8s.io "x" is invalid: series.count: Invalid value', code: 422, details: { echo: 'y'.repeat(5000) } });
    patchError = Object.assign(new Error(`HTTP-Code: 422\nBody: ${JSON.stringify(echoed)}`), { code: 422, body: echoed });
    now += 10;
    await rec.record(target, 'Normal', 'Committed', 'pushed abc');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'could not record event', reason: 'Committed', object: 'KureCluster p/prod', err: { code: 422, message: 'Event.events.k8s.io "x" is invalid: series.count: Invalid value' } });
    expect(JSON.stringify(lines[0]).length).toBeLessThan(600);
  });
});
