// Prometheus metrics of one controller instance. Each manager owns its own Registry, so two
// in-process managers (tests) never collide on metric names.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'invalid' | 'suspended' | 'skipped';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'kure_reconcile_total',
    help: 'Reconciles of a cluster key by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'kure_reconcile_duration_seconds',
    help: 'Duration of one reconcile (assemble, render, Git sync, status).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly workqueueDepth = new Gauge({
    name: 'kure_workqueue_depth',
    help: 'Cluster keys waiting in the work queue (ready or settling).',
    registers: [this.registry],
  });
  readonly gitCommits = new Counter({
    name: 'kure_git_commits_total',
    help: 'Commits pushed to Git repositories.',
    registers: [this.registry],
  });
  readonly gitErrors = new Counter({
    name: 'kure_git_errors_total',
    help: 'Failed Git syncs by error kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly informerRestarts = new Counter({
    name: 'kure_informer_restarts_total',
    help: 'Informer (re)connects after the first list: watch timeouts, 410 Gone, errors, watchdog restarts.',
    labelNames: ['resource', 'reason'] as const,
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'kure_leader',
    help: '1 while this instance holds the leader Lease.',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
