import type { EventsV1Event, V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { EventRecorder } from '../../../src/controller/events.js';
import type { EventWriter, LeaseClient } from '../../../src/controller/kube.js';
import { LeaderElector } from '../../../src/controller/leader.js';

/** One Lease with optimistic concurrency, like the API server. */
class FakeLeases implements LeaseClient {
  lease: V1Lease | undefined;
  rv = 0;
  down = false;
  async readLease() {
    if (this.down) throw new Error('connection refused');
    return this.lease && structuredClone(this.lease);
  }
  async createLease(_ns: string, l: V1Lease) {
    if (this.lease) throw Object.assign(new Error('exists'), { code: 409 });
    this.lease = { ...l, metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
    return structuredClone(this.lease);
  }
  async replaceLease(_ns: string, _n: string, l: V1Lease) {
    if (this.down) throw new Error('connection refused');
    if (l.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
    this.lease = JSON.parse(JSON.stringify({ ...l, metadata: { ...l.metadata, resourceVersion: String(++this.rv) } })) as V1Lease;
    return structuredClone(this.lease);
  }
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
};

function elector(client: LeaseClient, identity: string, log: string[]) {
  return new LeaderElector({
    client,
    namespace: 'default',
    name: 'kure',
    identity,
    logger: pino({ level: 'silent' }),
    leaseDurationMs: 1000,
    renewDeadlineMs: 600,
    retryPeriodMs: 50,
    onStartedLeading: () => log.push(`${identity}:start`),
    onStoppedLeading: () => log.push(`${identity}:stop`),
  });
}

describe('LeaderElector', () => {
  it('exactly one of two candidates leads; release on shutdown hands over quickly', async () => {
    const leases = new FakeLeases();
    const log: string[] = [];
    const a = elector(leases, 'a', log);
    const b = elector(leases, 'b', log);
    a.start();
    await until(() => a.isLeader());
    b.start();
    await new Promise((r) => setTimeout(r, 1300)); // longer than the lease: a keeps renewing
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(leases.lease?.spec?.holderIdentity).toBe('a');
    await a.shutdown();
    expect(leases.lease?.spec?.holderIdentity).toBeFalsy();
    await until(() => b.isLeader(), 1000);
    expect(leases.lease?.spec?.holderIdentity).toBe('b');
    expect(leases.lease?.spec?.leaseTransitions).toBe(1);
    await b.shutdown();
    expect(log).toEqual(['a:start', 'b:start']);
  });

  it('a leader that cannot renew within the deadline steps down; a standby takes over after the lease expires', async () => {
    const leases = new FakeLeases();
    const log: string[] = [];
    const a = elector(leases, 'a', log);
    a.start();
    await until(() => a.isLeader());
    const isolated: LeaseClient = {
      readLease: () => Promise.reject(new Error('partition')),
      createLease: () => Promise.reject(new Error('partition')),
      replaceLease: () => Promise.reject(new Error('partition')),
    };
    // a loses its connection: swap its client for one that fails.
    (a as unknown as { o: { client: LeaseClient } }).o.client = isolated;
    await until(() => !a.isLeader(), 3000);
    expect(log).toContain('a:stop');
    const b = elector(leases, 'b', log);
    b.start();
    await until(() => b.isLeader(), 3000);
    await a.shutdown();
    await b.shutdown();
  });
});

describe('EventRecorder', () => {
  it('creates one Event and aggregates repeats into its series; never throws', async () => {
    const created: EventsV1Event[] = [];
    const patched: { name: string; count: number }[] = [];
    let now = 1_000_000;
    const writer: EventWriter = {
      createEvent: async (_ns, e) => (created.push(e), e),
      patchEventSeries: async (_ns, name, s) => void patched.push({ name, count: s.count }),
    };
    const rec = new EventRecorder(writer, { instance: 'i', logger: pino({ level: 'silent' }), seriesEveryMs: 0, now: () => now });
    const target = { apiVersion: 'kure.dev/v1alpha1', kind: 'KureCluster', metadata: { name: 'prod', namespace: 'p', uid: 'u1' } };
    await rec.record(target, 'Warning', 'GitError', 'push to https://u:pw@h/r.git failed');
    now += 1000;
    await rec.record(target, 'Warning', 'GitError', 'push to https://u:pw@h/r.git failed');
    await rec.record(target, 'Warning', 'GitError', 'push to https://u:pw@h/r.git failed');
    await rec.record(target, 'Normal', 'Committed', 'Pushed abc');
    expect(created).toHaveLength(2);
    expect(created[0]).toMatchObject({ type: 'Warning', reason: 'GitError', reportingController: 'kure.dev/controller', regarding: { kind: 'KureCluster', name: 'prod', uid: 'u1' } });
    expect(created[0]!.note).not.toContain('pw@');
    expect(patched.map((p) => p.count)).toEqual([2, 3]);
    now += 11 * 60_000;
    await rec.record(target, 'Warning', 'GitError', 'push to https://u:pw@h/r.git failed');
    expect(created).toHaveLength(3);

    const failing = new EventRecorder({ createEvent: () => Promise.reject(new Error('forbidden')), patchEventSeries: () => Promise.reject(new Error('x')) }, { instance: 'i', logger: pino({ level: 'silent' }) });
    await expect(failing.record(target, 'Normal', 'X', 'y')).resolves.toBeUndefined();
  });
});
