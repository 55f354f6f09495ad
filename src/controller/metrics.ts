// Prometheus metrics of one controller instance. Each manager owns its own Registry, so two
// in-process managers (tests) never collide on metric names. Besides Kure's own (kure_*), the
// names controller-runtime exports, so the dashboards and alerts users have for Go operators work.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// client-go's workqueue buckets: 10^-8 .. 10^1 s.
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10];

/** What one queue reports (workqueue_* with its `name`). */
export interface QueueMetrics {
  depth(depth: number): void;
  added(): void;
  retried(): void;
  /** Seconds a key waited between becoming ready and being taken by a worker. */
  queued(seconds: number): void;
  /** Seconds a worker spent on a key. */
  worked(seconds: number): void;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly r = [this.registry];

  // ---------------------------------------------------------------- Kure's own
  readonly reconcileTotal = new Counter({ name: 'kure_reconcile_total', help: 'Reconciles of a cluster by result (success, requeue, error).', labelNames: ['result'] as const, registers: this.r });
  readonly reconcileDuration = new Histogram({ name: 'kure_reconcile_duration_seconds', help: 'Duration of one cluster reconcile (assemble, render, Git sync, status).', buckets: LATENCY_BUCKETS, registers: this.r });
  readonly workqueueDepthKure = new Gauge({ name: 'kure_workqueue_depth', help: 'Cluster keys waiting in the work queue (ready or settling).', registers: this.r });
  readonly gitCommits = new Counter({ name: 'kure_git_commits_total', help: 'Commits pushed to Git repositories.', registers: this.r });
  readonly gitErrors = new Counter({ name: 'kure_git_errors_total', help: 'Failed Git syncs by error kind.', labelNames: ['kind'] as const, registers: this.r });
  readonly informerRestarts = new Counter({
    name: 'kure_informer_restarts_total',
    help: 'Informer (re)connects after the first list: watch timeouts, 410 Gone, errors, watchdog restarts.',
    labelNames: ['resource', 'reason'] as const,
    registers: this.r,
  });
  readonly isLeader = new Gauge({ name: 'kure_leader', help: '1 while this instance holds the leader Lease.', registers: this.r });
  readonly statusWritesPending = new Gauge({
    name: 'kure_status_writes_pending',
    help: "Members' statuses decided and not yet written (written in the background; high after a cold start of a large fleet).",
    registers: this.r,
  });
  readonly clusterReady = new Gauge({ name: 'kure_cluster_ready', help: '1 when the KureCluster is Ready (its tree is in Git), else 0.', labelNames: ['namespace', 'cluster'] as const, registers: this.r });
  readonly clusterLastPush = new Gauge({
    name: 'kure_cluster_last_push_timestamp_seconds',
    help: 'Unix time of the last commit Kure pushed for the KureCluster.',
    labelNames: ['namespace', 'cluster'] as const,
    registers: this.r,
  });

  // ---------------------------------------------------------------- controller-runtime's names
  readonly crReconcileTotal = new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller.', labelNames: ['controller', 'result'] as const, registers: this.r });
  readonly crReconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller.', labelNames: ['controller'] as const, registers: this.r });
  readonly crTerminalErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller.',
    labelNames: ['controller'] as const,
    registers: this.r,
  });
  readonly crReconcileTime = new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller.', labelNames: ['controller'] as const, buckets: LATENCY_BUCKETS, registers: this.r });
  readonly crMaxConcurrent = new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller.', labelNames: ['controller'] as const, registers: this.r });
  readonly crActiveWorkers = new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller.', labelNames: ['controller'] as const, registers: this.r });
  readonly wqDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue.', labelNames: ['name', 'controller'] as const, registers: this.r });
  readonly wqAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue.', labelNames: ['name', 'controller'] as const, registers: this.r });
  readonly wqQueueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested.',
    labelNames: ['name', 'controller'] as const,
    buckets: QUEUE_BUCKETS,
    registers: this.r,
  });
  readonly wqWorkDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: ['name', 'controller'] as const,
    buckets: QUEUE_BUCKETS,
    registers: this.r,
  });
  readonly wqRetries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue.', labelNames: ['name', 'controller'] as const, registers: this.r });
  readonly leaderStatus = new Gauge({ name: 'leader_election_master_status', help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.', labelNames: ['name'] as const, registers: this.r });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The workqueue_* series of the queue of `controller`. */
  queue(controller: string): QueueMetrics {
    const l = { name: controller, controller };
    return {
      depth: (d) => {
        this.wqDepth.set(l, d);
        if (controller === 'kurecluster') this.workqueueDepthKure.set(d);
      },
      added: () => this.wqAdds.inc(l),
      retried: () => this.wqRetries.inc(l),
      queued: (s) => this.wqQueueDuration.observe(l, s),
      worked: (s) => this.wqWorkDuration.observe(l, s),
    };
  }

  setLeader(leaseName: string, leading: boolean): void {
    this.isLeader.set(leading ? 1 : 0);
    this.leaderStatus.set({ name: leaseName }, leading ? 1 : 0);
  }
}
