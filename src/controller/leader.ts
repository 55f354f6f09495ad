// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: 15 s lease,
// 10 s renew deadline, 2 s retry period. Expiry is judged by the local clock from when the lease
// record was last seen to change (never by comparing clocks across machines). Only the leader
// reconciles and pushes. On shutdown the lease is released (holder cleared, 1 s duration) so a
// standby takes over at its next retry instead of waiting out the lease.
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { statusCode, type LeaseClient } from './kube.js';
import type { Logger } from './logger.js';
import { sleep } from '../sleep.js';

export interface LeaderElectorOptions {
  client: LeaseClient;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  /** Called when leadership is lost (renew deadline passed) — not on a voluntary release. */
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string | undefined) => void;
  now?: () => number;
}


const jitter = (ms: number) => ms * (1 + Math.random() * 0.2);

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly stop = new AbortController();
  private observed: { record: string; at: number; holder: string | undefined } | undefined;
  private lease: V1Lease | undefined;
  private leading = false;
  private loop: Promise<void> | undefined;
  private lastReported: string | undefined = '\u0000';

  constructor(private readonly o: LeaderElectorOptions) {
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    this.now = o.now ?? Date.now;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Who holds the lease as last seen. */
  holder(): string | undefined {
    return this.observed?.holder;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; releases the lease when held. */
  async shutdown(): Promise<void> {
    this.stop.abort();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release();
    }
  }

  private async run(): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      // Acquire.
      while (!signal.aborted && !(await this.tryAcquireOrRenew())) await sleep(jitter(this.retryPeriodMs), signal);
      if (signal.aborted) return;
      this.leading = true;
      this.o.logger.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'became leader');
      this.o.onStartedLeading();
      // Renew until a renew deadline passes without success.
      let lastRenew = this.now();
      while (!signal.aborted) {
        await sleep(this.retryPeriodMs, signal);
        if (signal.aborted) return;
        // A renew that hangs (a partition drops packets rather than resetting) must not keep us
        // leading past the renew deadline: by then another instance may take the Lease over.
        const left = Math.max(0, this.renewDeadlineMs - (this.now() - lastRenew));
        if (await within(this.tryAcquireOrRenew(), left)) {
          lastRenew = this.now();
          continue;
        }
        if (this.now() - lastRenew >= this.renewDeadlineMs || (this.observed?.holder && this.observed.holder !== this.o.identity)) {
          this.leading = false;
          this.o.logger.warn({ lease: `${this.o.namespace}/${this.o.name}` }, 'lost leadership');
          this.o.onStoppedLeading();
          break;
        }
      }
    }
  }

  private leaseBody(existing: V1Lease | undefined, acquiring: boolean): V1Lease {
    const now = new V1MicroTime(this.now());
    const spec = existing?.spec ?? {};
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...(existing?.metadata ?? {}), name: this.o.name, namespace: this.o.namespace },
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
        acquireTime: (acquiring ? now : spec.acquireTime ?? now),
        renewTime: now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (acquiring && existing ? 1 : 0),
      },
    };
  }

  /** One attempt; true when we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.o;
    try {
      const existing = await client.readLease(namespace, name);
      if (!existing) {
        this.lease = await client.createLease(namespace, this.leaseBody(undefined, true));
        this.observe(this.lease);
        return true;
      }
      this.observe(existing);
      const holder = existing.spec?.holderIdentity || undefined;
      const durationMs = (existing.spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
      if (holder && holder !== identity && this.observed && this.observed.at + durationMs > this.now()) return false;
      this.lease = await client.replaceLease(namespace, name, this.leaseBody(existing, holder !== identity));
      this.observe(this.lease);
      return true;
    } catch (err) {
      const code = statusCode(err);
      if (code !== 409 && code !== 404) this.o.logger.warn({ err }, 'leader election: could not read/update the lease');
      return false;
    }
  }

  private observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseTransitions, spec.leaseDurationSeconds]);
    if (this.observed?.record !== record) this.observed = { record, at: this.now(), holder: spec.holderIdentity || undefined };
    if (this.lastReported !== this.observed.holder) {
      this.lastReported = this.observed.holder;
      this.o.onNewLeader?.(this.observed.holder);
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.o;
    try {
      const existing = await client.readLease(namespace, name);
      if (!existing || existing.spec?.holderIdentity !== identity) return;
      const now = new V1MicroTime(this.now());
      await client.replaceLease(namespace, name, {
        ...existing,
        spec: {
          ...existing.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
        },
      });
      this.o.logger.info({ lease: `${namespace}/${name}` }, 'released the leader lease');
    } catch (err) {
      this.o.logger.warn({ err }, 'could not release the leader lease');
    }
  }
}

/** `attempt`'s answer, or false when it has not answered within `ms`. */
function within(attempt: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([attempt, late]).finally(() => clearTimeout(timer));
}
