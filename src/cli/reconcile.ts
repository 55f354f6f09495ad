// `kure reconcile cluster NAME [-n NS] [--wait] [--timeout D] [--kubeconfig FILE]`: asks the controller to
// reconcile a KureCluster now, the way `flux reconcile` asks Flux: it sets the annotation
// reconcile.fluxcd.io/requestedAt to the current time (RFC 3339, as Go's RFC3339Nano writes it) through the
// kubeconfig's credentials. The controller reconciles the cluster and echoes the value into
// status.lastHandledReconcileAt. With --wait the command then waits for that echo and for the Ready
// condition of the generation it handled: True prints the commit (status.lastCommit.sha) and exits 0;
// False (or Stalled=True) prints the reason and message and exits 1; so does the timeout.
// Exit codes: 0 requested (and, with --wait, Ready), 1 failed / not found / suspended / timed out, 2 usage.
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema.js';
import { formatDuration, parseDuration } from '../model/durations.js';
import { scrubString } from '../controller/logger.js';
import type { Io } from './io.js';

/** Flux's annotation (fluxcd/pkg apis/meta ReconcileRequestAnnotation), which Kure's controller also honours. */
export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

export const RECONCILE_USAGE = `Usage: kure reconcile cluster NAME [-n NAMESPACE] [--wait] [--timeout DURATION] [--kubeconfig FILE]

Asks the Kure controller to reconcile the KureCluster NAME now: sets the annotation
${REQUESTED_AT} to the current time (as flux reconcile does). The controller
renders the cluster, pushes what changed and records the request in status.lastHandledReconcileAt.

  -n, --namespace NS   namespace of the KureCluster (default: the kubeconfig context's, else default)
  -w, --wait           wait until the controller has handled this request and the cluster is Ready;
                       print the commit (status.lastCommit.sha); exit 1 if it is not Ready (reason and
                       message printed) or the timeout passes
      --timeout D      how long --wait waits (Go duration: 30s, 5m; default 5m)
      --kubeconfig F   kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  -h, --help           this help

Exit codes: 0 requested (with --wait: handled and Ready), 1 failed, not found, suspended or timed out, 2 usage error.`;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

interface ClusterObject {
  metadata?: { name?: string; namespace?: string; generation?: number; annotations?: Record<string, string> };
  spec?: { suspend?: boolean };
  status?: {
    lastHandledReconcileAt?: string;
    observedGeneration?: number;
    conditions?: Condition[];
    lastCommit?: { sha?: string; time?: string; message?: string };
  };
}

export interface ReconcileDeps {
  /** The cluster to talk to (default: --kubeconfig, else the default loading rules). */
  kubeConfig?: KubeConfig;
  now?: () => Date;
  /** Poll interval of --wait (default 500 ms). */
  pollMs?: number;
}

/**
 * A time as Go's time.RFC3339Nano formats a UTC time: fractional seconds without trailing zeros
 * (none at all on a whole second), `Z`. JavaScript clocks give milliseconds.
 */
export function rfc3339Nano(d: Date): string {
  const iso = d.toISOString(); // 2026-12-02T04:41:02.590Z
  return iso.replace(/\.(\d+)Z$/, (_m, frac: string) => {
    const f = frac.replace(/0+$/, '');
    return f ? `.${f}Z` : 'Z';
  });
}

class Failure extends Error {}

/** An API error as one line (client-node's ApiException carries the whole response in its message). */
function apiMessage(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown };
  let message: string | undefined;
  try {
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: unknown }) : (e.body as { message?: unknown } | undefined);
    if (typeof body?.message === 'string') message = body.message;
  } catch {
    // not JSON
  }
  message ??= err instanceof Error ? err.message.split('\n')[0]! : String(err);
  return scrubString(typeof e.code === 'number' ? `${e.code}: ${message}` : message);
}

const code = (err: unknown) => (err as { code?: unknown }).code;

export async function runReconcile(argv: string[], io: Io, deps: ReconcileDeps = {}): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        namespace: { type: 'string', short: 'n' },
        wait: { type: 'boolean', short: 'w' },
        timeout: { type: 'string' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    }));
  } catch (e) {
    io.err(`kure reconcile: ${(e as Error).message}\n\n${RECONCILE_USAGE}`);
    return 2;
  }
  if (values.help) return io.out(RECONCILE_USAGE), 0;
  const usage = (why: string) => (io.err(`kure reconcile: ${why}\n\n${RECONCILE_USAGE}`), 2);
  const [kind, name, ...extra] = positionals;
  if (kind === undefined) return usage('what to reconcile is missing: kure reconcile cluster NAME');
  if (!['cluster', 'clusters', 'kurecluster', 'kureclusters', 'KureCluster'].includes(kind)) return usage(`cannot reconcile "${kind}": only "cluster" (a KureCluster) can be reconciled`);
  if (!name) return usage('the KureCluster name is missing: kure reconcile cluster NAME');
  if (extra.length) return usage(`unexpected argument "${extra[0]}"`);
  let timeoutMs = 5 * 60_000;
  if (values.timeout !== undefined) {
    const parsed = parseDuration(values.timeout.trim());
    if (parsed === undefined) return usage(`--timeout: invalid duration "${values.timeout}" (use e.g. 30s, 5m)`);
    timeoutMs = Math.round(parsed);
    if (timeoutMs <= 0) return usage('--timeout: must be more than 0');
  }

  const { CustomObjectsApi, PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  let kc: KubeConfig;
  try {
    kc = deps.kubeConfig ?? (await import('../controller/kube.js')).loadKubeConfig(values.kubeconfig);
  } catch (e) {
    io.err(`kure reconcile: cannot load the kubeconfig: ${scrubString((e as Error).message)}`);
    return 1;
  }
  const namespace = values.namespace ?? (kc.getContextObject(kc.getCurrentContext())?.namespace || 'default');
  const what = `KureCluster ${namespace}/${name}`;
  const api = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace, plural: 'kureclusters', name };
  const get = async (): Promise<ClusterObject> => {
    try {
      return (await api.getNamespacedCustomObject(ref)) as ClusterObject;
    } catch (err) {
      if (code(err) === 404) throw new Failure(`${what} not found`);
      throw new Failure(`cannot read ${what}: ${apiMessage(err)}`);
    }
  };

  try {
    const before = await get();
    if (before.spec?.suspend) throw new Failure(`${what} is suspended (spec.suspend: true): resume it first`);
    const requestedAt = rfc3339Nano((deps.now ?? (() => new Date()))());
    try {
      await api.patchNamespacedCustomObject(
        { ...ref, body: { metadata: { annotations: { [REQUESTED_AT]: requestedAt } } }, fieldManager: 'kure-cli' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (code(err) === 404) throw new Failure(`${what} not found`);
      throw new Failure(`cannot annotate ${what}: ${apiMessage(err)}`);
    }
    io.out(`${what}: reconcile requested (${REQUESTED_AT}=${requestedAt})`);
    if (!values.wait) return 0;

    io.out(`waiting up to ${formatDuration(timeoutMs)} for the controller to handle it`);
    const deadline = Date.now() + timeoutMs;
    const pollMs = deps.pollMs ?? 500;
    let last: ClusterObject = before;
    for (;;) {
      const c = (last = await get());
      const handled = c.status?.lastHandledReconcileAt === requestedAt;
      const conditions = c.status?.conditions ?? [];
      const ready = conditions.find((x) => x.type === 'Ready');
      const stalled = conditions.find((x) => x.type === 'Stalled' && x.status === 'True');
      const generation = c.metadata?.generation;
      const current = (cond: Condition | undefined) => cond !== undefined && (cond.observedGeneration === undefined || generation === undefined || cond.observedGeneration === generation);
      if (handled && current(stalled)) throw new Failure(`${what} is stalled: ${stalled!.reason ?? 'Stalled'}: ${stalled!.message ?? ''}`.trimEnd());
      if (handled && current(ready) && ready!.status === 'False') throw new Failure(`${what} is not Ready: ${ready!.reason ?? 'NotReady'}: ${ready!.message ?? ''}`.trimEnd());
      if (handled && current(ready) && ready!.status === 'True') {
        const sha = c.status?.lastCommit?.sha;
        io.out(`${what} is Ready${ready!.message ? `: ${ready!.message}` : ''}`);
        io.out(sha ? `commit ${sha}` : 'no commit yet (nothing to push)');
        return 0;
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
    const seen = last.status?.lastHandledReconcileAt;
    const ready = last.status?.conditions?.find((x) => x.type === 'Ready');
    throw new Failure(
      `timed out after ${formatDuration(timeoutMs)} waiting for ${what}: ` +
        (seen === requestedAt
          ? `the request was handled but Ready is ${ready ? `${ready.status}${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}` : 'not reported'}`
          : `status.lastHandledReconcileAt is ${seen ? `"${seen}"` : 'not set'}, not "${requestedAt}": is the controller running and watching namespace ${namespace}?`),
    );
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    io.err(`kure reconcile: ${scrubString(err.message)}`);
    return 1;
  }
}
