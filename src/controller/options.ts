// Command-line flags and environment variables of `kure controller`. Flags win over env vars,
// env vars over defaults. One table drives both parsing and `--help`, so they cannot drift.
import { readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration, parseDuration } from '../model/durations.js';
import { LOG_FORMATS, type LogFormat } from './logger.js';
import { parseSelector, SelectorError } from './selector.js';

export interface ControllerOptions {
  /** Path of a kubeconfig file; undefined: $KUBECONFIG, then in-cluster config, then ~/.kube/config. */
  kubeconfig?: string;
  /** Namespaces to watch; empty: all namespaces. */
  namespaces: string[];
  /**
   * Namespaces whose (labelled) Secrets Kure reads as Git credentials; empty: every watched namespace.
   * A KureCluster elsewhere cannot use a secretRef (Ready=False, NotAllowed).
   */
  credentialsNamespaces: string[];
  /** host:port of the metrics/health server (":8080"); "0" disables it. */
  metricsAddr: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  /** This instance's identity in the Lease and in Events. */
  identity: string;
  logLevel: string;
  /** json (default: one JSON object a line, for log collectors) or text (one readable line a record, for people). */
  logFormat: LogFormat;
  /**
   * A Kubernetes label selector on KureCluster (equality- and set-based, as kubectl -l takes it):
   * this instance reconciles only the clusters it selects (members follow their cluster); undefined:
   * every cluster. Validated when parsed; matchesSelector() in selector.ts applies it.
   */
  shardSelector?: string;
  gitCacheDir: string;
  resyncPeriodMs: number;
  /** Quiet time after the last change before a cluster is reconciled (trailing debounce). */
  settleMs: number;
  /** Upper bound of the settle delay under a continuous stream of changes. */
  maxSettleMs: number;
  concurrency: number;
  /** Server-side watch timeout: the API server closes each watch after about this long. */
  watchTimeoutSeconds: number;
  /** On SIGTERM, how long an in-flight push may take before it is abandoned. */
  shutdownGracePeriodMs: number;
  /** After a push, ask Flux / Argo CD in this cluster to reconcile now (notify.ts). */
  notifyEngine: boolean;
  /** Watch Flux Kustomizations / Argo CD Applications (read-only) and write each bundle's Applied condition (applied-watch.ts). */
  watchEngine: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export type ParsedArgs = { help: true } | { help: false; options: ControllerOptions };

type Kind = 'string' | 'bool' | 'duration' | 'int' | 'list';
interface FlagSpec {
  flag: string;
  env?: string[];
  kind: Kind;
  key: keyof ControllerOptions;
  help: string;
  defaultText: string;
  /** What --help shows as the value (default by kind: VALUE, DURATION, N, NS[,NS...]). */
  value?: string;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const FLAGS: FlagSpec[] = [
  { flag: 'kubeconfig', env: ['KUBECONFIG'], kind: 'string', key: 'kubeconfig', help: 'kubeconfig file to use', defaultText: 'in-cluster config, else ~/.kube/config' },
  { flag: 'namespaces', env: ['KURE_NAMESPACES'], kind: 'list', key: 'namespaces', help: 'comma-separated namespaces to watch', defaultText: 'all namespaces' },
  { flag: 'credentials-namespaces', env: ['KURE_CREDENTIALS_NAMESPACES'], kind: 'list', key: 'credentialsNamespaces', help: 'comma-separated namespaces whose Secrets (labelled kure.dev/credentials=true) Kure reads; KureClusters elsewhere cannot use a secretRef', defaultText: 'every watched namespace' },
  { flag: 'metrics-addr', env: ['KURE_METRICS_ADDR'], kind: 'string', key: 'metricsAddr', help: 'address of /metrics, /healthz and /readyz ("0" disables)', defaultText: ':8080' },
  { flag: 'leader-elect', env: ['KURE_LEADER_ELECT'], kind: 'bool', key: 'leaderElect', help: 'elect a leader through a coordination.k8s.io/v1 Lease; only the leader pushes', defaultText: 'true' },
  { flag: 'leader-election-namespace', env: ['KURE_LEADER_ELECTION_NAMESPACE', 'POD_NAMESPACE'], kind: 'string', key: 'leaderElectionNamespace', help: 'namespace of the Lease', defaultText: 'the pod namespace ($POD_NAMESPACE or the service-account namespace file), else default' },
  { flag: 'leader-election-id', env: ['KURE_LEADER_ELECTION_ID'], kind: 'string', key: 'leaderElectionId', help: 'name of the Lease', defaultText: 'kure-controller-leader' },
  { flag: 'identity', env: ['POD_NAME'], kind: 'string', key: 'identity', help: 'identity of this instance in the Lease and Events', defaultText: '<hostname>-<random>' },
  { flag: 'log-level', env: ['KURE_LOG_LEVEL'], kind: 'string', key: 'logLevel', help: `log level: ${LOG_LEVELS.join('|')}`, defaultText: 'info' },
  { flag: 'log-format', env: ['KURE_LOG_FORMAT'], kind: 'string', key: 'logFormat', value: 'json|text', help: `log format: ${LOG_FORMATS.join('|')} (json: one JSON object a line; text: one readable line a record)`, defaultText: 'json' },
  { flag: 'shard-selector', env: ['KURE_SHARD_SELECTOR'], kind: 'string', key: 'shardSelector', value: 'SELECTOR', help: "label selector on KureCluster: reconcile only the clusters it selects (their nodes, bundles and applications follow); e.g. 'shard=a' or 'shard in (a,b),!canary'", defaultText: 'every cluster' },
  { flag: 'git-cache-dir', env: ['KURE_GIT_CACHE_DIR'], kind: 'string', key: 'gitCacheDir', help: 'directory for cached Git clones', defaultText: '<os tmpdir>/kure-git-cache' },
  { flag: 'resync-period', env: ['KURE_RESYNC_PERIOD'], kind: 'duration', key: 'resyncPeriodMs', help: 'reconcile every cluster this often (repairs drift in Git)', defaultText: '10m' },
  { flag: 'settle', env: ['KURE_SETTLE'], kind: 'duration', key: 'settleMs', help: 'wait this long after the last change before reconciling a cluster (batches bulk applies)', defaultText: '500ms' },
  { flag: 'max-settle', env: ['KURE_MAX_SETTLE'], kind: 'duration', key: 'maxSettleMs', help: 'never delay a changed cluster longer than this, even under a stream of changes', defaultText: '10s' },
  { flag: 'concurrency', env: ['KURE_CONCURRENCY'], kind: 'int', key: 'concurrency', help: 'clusters reconciled in parallel', defaultText: '4' },
  { flag: 'watch-timeout', env: ['KURE_WATCH_TIMEOUT'], kind: 'duration', key: 'watchTimeoutSeconds', help: 'server-side timeout of each watch; the informer then re-watches (and re-lists on 410 Gone)', defaultText: '5m' },
  { flag: 'notify-engine', env: ['KURE_NOTIFY_ENGINE'], kind: 'bool', key: 'notifyEngine', help: "after a push, annotate Flux's GitRepository (reconcile.fluxcd.io/requestedAt) or Argo CD's changed Applications (argocd.argoproj.io/refresh) in this cluster so they apply it now", defaultText: 'true' },
  { flag: 'watch-engine', env: ['KURE_WATCH_ENGINE'], kind: 'bool', key: 'watchEngine', help: "watch the Flux Kustomizations / Argo CD Applications Kure rendered (get, list, watch) and report each bundle's Applied condition", defaultText: 'true' },
  { flag: 'shutdown-grace-period', env: ['KURE_SHUTDOWN_GRACE_PERIOD'], kind: 'duration', key: 'shutdownGracePeriodMs', help: 'on SIGTERM/SIGINT, how long an in-flight push may finish before it is abandoned', defaultText: '20s' },
];

export interface OptionSources {
  env?: NodeJS.ProcessEnv;
  /** Reads the service-account namespace file (injectable for tests). */
  readNamespaceFile?: () => string | undefined;
  randomSuffix?: () => string;
}

function defaultNamespaceFile(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function defaultOptions(sources: OptionSources = {}): ControllerOptions {
  const suffix = sources.randomSuffix?.() ?? Math.random().toString(36).slice(2, 8);
  return {
    namespaces: [],
    credentialsNamespaces: [],
    metricsAddr: ':8080',
    leaderElect: true,
    leaderElectionNamespace: (sources.readNamespaceFile ?? defaultNamespaceFile)() ?? 'default',
    leaderElectionId: 'kure-controller-leader',
    identity: `${hostname()}-${suffix}`,
    logLevel: 'info',
    logFormat: 'json',
    gitCacheDir: join(tmpdir(), 'kure-git-cache'),
    resyncPeriodMs: 10 * 60_000,
    settleMs: 500,
    maxSettleMs: 10_000,
    concurrency: 4,
    watchTimeoutSeconds: 300,
    shutdownGracePeriodMs: 20_000,
    notifyEngine: true,
    watchEngine: true,
  };
}

function convert(spec: FlagSpec, raw: string, origin: string): unknown {
  const bad = (why: string) => new UsageError(`${origin}: ${why}`);
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw bad('must not be empty');
      if (spec.key === 'logLevel' && !LOG_LEVELS.includes(raw)) throw bad(`must be one of ${LOG_LEVELS.join(', ')}`);
      if (spec.key === 'logFormat' && !(LOG_FORMATS as readonly string[]).includes(raw)) throw bad(`must be one of ${LOG_FORMATS.join(', ')}, got "${raw}"`);
      if (spec.key === 'shardSelector') {
        try {
          parseSelector(raw);
        } catch (e) {
          if (e instanceof SelectorError) throw bad(`invalid label selector "${raw}": ${e.message}`);
          throw e;
        }
      }
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw bad(`expected true or false, got "${raw}"`);
    case 'int': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw bad(`expected a positive integer, got "${raw}"`);
      return n;
    }
    case 'duration': {
      const parsed = parseDuration(raw.trim());
      if (parsed === undefined) throw bad(`invalid duration "${raw}" (use e.g. 500ms, 30s, 10m, 1h)`);
      const ms = Math.round(parsed);
      return spec.key === 'watchTimeoutSeconds' ? Math.max(1, Math.round(ms / 1000)) : ms;
    }
  }
}

/** Parses `kure controller` arguments (without the subcommand). Throws UsageError on bad input. */
export function parseOptions(argv: readonly string[], sources: OptionSources = {}): ParsedArgs {
  const env = sources.env ?? process.env;
  const options = defaultOptions(sources) as unknown as Record<string, unknown>;
  const set = new Set<string>();

  for (const spec of FLAGS) {
    for (const name of spec.env ?? []) {
      const v = env[name];
      if (v !== undefined && v !== '') {
        options[spec.key] = convert(spec, v, `$${name}`);
        break;
      }
    }
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help' || arg === 'help') return { help: true };
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" (see kure controller --help)`);
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let negated = false;
    if (name.startsWith('no-') && value === undefined) {
      negated = true;
      name = name.slice(3);
    }
    const spec = FLAGS.find((f) => f.flag === name);
    if (!spec) throw new UsageError(`unknown flag --${name} (see kure controller --help)`);
    if (spec.kind === 'bool') {
      if (negated) value = 'false';
      else if (value === undefined) value = 'true';
    } else if (negated) {
      throw new UsageError(`--no-${name} is not valid: --${name} takes a value`);
    } else if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (set.has(spec.flag) && spec.kind !== 'list') throw new UsageError(`--${name} given twice`);
    if (spec.kind === 'list' && set.has(spec.flag)) {
      options[spec.key] = [...(options[spec.key] as string[]), ...(convert(spec, value, `--${name}`) as string[])];
    } else {
      options[spec.key] = convert(spec, value, `--${name}`);
    }
    set.add(spec.flag);
  }
  const result = options as unknown as ControllerOptions;
  if (result.maxSettleMs < result.settleMs) result.maxSettleMs = result.settleMs;
  if (result.metricsAddr !== '0') parseListenAddress(result.metricsAddr);
  const unwatched = result.namespaces.length ? result.credentialsNamespaces.filter((ns) => !result.namespaces.includes(ns)) : [];
  if (unwatched.length) throw new UsageError(`--credentials-namespaces: ${unwatched.join(', ')} not in --namespaces (${result.namespaces.join(', ')}): Kure would see no KureCluster there`);
  return { help: false, options: result };
}

/** ":8080" → {host: undefined, port: 8080}; "127.0.0.1:0" → ephemeral port on loopback. */
export function parseListenAddress(addr: string): { host?: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?)?:(\d+)$/.exec(addr);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--metrics-addr: expected [host]:port or 0, got "${addr}"`);
  }
  return m[1] ? { host: m[1], port } : { port };
}

export function helpText(): string {
  const lines = [
    'Usage: kure controller [flags]',
    '',
    'Runs the Kure operator: watches KureCluster, KureNode, KureBundle and KureApplication',
    'resources (and the labelled Secrets clusters reference), renders every cluster and commits the',
    "result to its Git repository/branch/path. Writes status conditions and Events.",
    '',
    'Flags (each can also be set through the environment variable shown; flags win):',
  ];
  for (const f of FLAGS) {
    const value = f.value ? ` ${f.value}` : f.kind === 'bool' ? '[=true|false]' : f.kind === 'duration' ? ' DURATION' : f.kind === 'int' ? ' N' : f.kind === 'list' ? ' NS[,NS...]' : ' VALUE';
    lines.push(`  --${f.flag}${value}`);
    lines.push(`      ${f.help}`);
    lines.push(`      default: ${f.defaultText}${f.env?.length ? `; env: ${f.env.map((e) => `$${e}`).join(', ')}` : ''}`);
  }
  lines.push(
    '  -h, --help',
    '      show this help',
    '',
    'Durations use Go syntax: 500ms, 30s, 10m, 1h30m. Booleans also accept --no-FLAG.',
    'Endpoints on --metrics-addr: /metrics (Prometheus), /healthz (liveness), /readyz',
    '(informers synced and watching).',
    'Git credentials come from the Secret named by KureCluster spec.repository.secretRef',
    '(keys username+password, or token, or a GitHub App: githubAppID+githubAppInstallationID+githubAppPrivateKey); they never appear in logs, events or status.',
    'Only Secrets labelled kure.dev/credentials=true are listed, watched and used.',
    `Example: kure controller --kubeconfig ~/.kube/config --namespaces team-a,team-b --settle ${formatDuration(500)}`,
  );
  return lines.join('\n') + '\n';
}
