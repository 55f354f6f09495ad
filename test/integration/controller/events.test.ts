// Events on the real API server: identical events recorded through EventRecorder and a real KubeApi
// become ONE events.k8s.io/v1 Event whose series grows (the API server accepts the series patch: its
// lastObservedTime is a MicroTime, six fractional digits), and no write failure is logged.
import { pino } from 'pino';
import type { EventsV1Event } from '@kubernetes/client-node';
import { EventRecorder } from '../../../src/controller/events.js';
import { KubeApi } from '../../../src/controller/kube.js';
import { kubeRequest, loadTestKubeConfig } from '../../support/kube.js';
import { newNamespace } from './harness.js';

interface Captured {
  lines: Record<string, unknown>[];
  logger: pino.Logger;
}
function capture(): Captured {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { lines, logger };
}

async function eventsOf(ns: string): Promise<EventsV1Event[]> {
  return (await kubeRequest<{ items: EventsV1Event[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`)).body.items;
}

/** Microseconds since the epoch of a MicroTime as the API server returns it (RFC3339 with 6 digits). */
function micros(t: unknown): number {
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(String(t));
  if (!m) throw new Error(`not a MicroTime: ${String(t)}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number(m[2]);
}

describe('EventRecorder against the real API server', () => {
  it('the same event recorded five times is one Event with series.count 5 and the last time observed', async () => {
    const ns = await newNamespace('ev');
    const { lines, logger } = capture();
    let now = Date.parse('2026-12-02T04:00:00.123Z');
    const recorder = new EventRecorder(new KubeApi(loadTestKubeConfig()), { instance: 'events-test', logger, seriesEveryMs: 0, now: () => now });
    const target = { apiVersion: 'kure.dev/v1alpha1', kind: 'KureCluster', metadata: { name: 'prod', namespace: ns, uid: `uid-${ns}` } };
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      times.push(now);
      await recorder.record(target, 'Warning', 'GitError', 'push to https://git.example/r.git failed: 503');
      now += 1234; // a different millisecond each time
    }
    await recorder.flush();
    expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]); // no "could not record event"

    const events = await eventsOf(ns);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({ reason: 'GitError', type: 'Warning', regarding: { kind: 'KureCluster', name: 'prod' }, series: { count: 5 } });
    expect(micros(e.series!.lastObservedTime)).toBe(times[4]! * 1000);
    expect(micros(e.eventTime)).toBe(times[0]! * 1000);
  });

  it('repeats inside the patch interval are not lost: the count is written once the interval has passed, and on flush', async () => {
    const ns = await newNamespace('ev');
    const { lines, logger } = capture();
    let now = Date.parse('2026-12-02T04:10:00.000Z');
    const recorder = new EventRecorder(new KubeApi(loadTestKubeConfig()), { instance: 'events-test', logger, seriesEveryMs: 300, now: () => now });
    const target = { apiVersion: 'kure.dev/v1alpha1', kind: 'KureBundle', metadata: { name: 'web', namespace: ns, uid: `uid-b-${ns}` } };
    for (let i = 0; i < 3; i++) {
      await recorder.record(target, 'Warning', 'InvalidSpec', 'dependsOn names a bundle that does not exist');
      now += 10;
    }
    // Three repeats within 300 ms: one create, the two repeats wait for the interval (a timer).
    await new Promise((r) => setTimeout(r, 800));
    let e = (await eventsOf(ns))[0];
    expect(e?.series?.count).toBe(3);
    expect(micros(e?.series?.lastObservedTime)).toBe((now - 10) * 1000);

    await recorder.record(target, 'Warning', 'InvalidSpec', 'dependsOn names a bundle that does not exist');
    await recorder.flush(); // shutdown: the pending count is written now
    e = (await eventsOf(ns))[0];
    expect(e?.series?.count).toBe(4);
    expect(await eventsOf(ns)).toHaveLength(1);
    expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
  });

  it('an Event deleted under the recorder (expired) is created again with the series, not only logged', async () => {
    const ns = await newNamespace('ev');
    const { lines, logger } = capture();
    let now = Date.parse('2026-12-02T04:20:00.000Z');
    const recorder = new EventRecorder(new KubeApi(loadTestKubeConfig()), { instance: 'events-test', logger, seriesEveryMs: 0, now: () => now });
    const target = { apiVersion: 'kure.dev/v1alpha1', kind: 'KureCluster', metadata: { name: 'prod', namespace: ns, uid: `uid-c-${ns}` } };
    await recorder.record(target, 'Normal', 'Committed', 'pushed abc123');
    const [first] = await eventsOf(ns);
    await kubeRequest('DELETE', `/apis/events.k8s.io/v1/namespaces/${ns}/events/${first!.metadata!.name}`);
    now += 1000;
    await recorder.record(target, 'Normal', 'Committed', 'pushed abc123');
    const events = await eventsOf(ns);
    expect(events).toHaveLength(1);
    expect(events[0]!.metadata!.name).not.toBe(first!.metadata!.name);
    expect(events[0]!.series?.count).toBe(2);
    now += 1000;
    await recorder.record(target, 'Normal', 'Committed', 'pushed abc123');
    expect((await eventsOf(ns))[0]!.series?.count).toBe(3);
    expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
  });
});
