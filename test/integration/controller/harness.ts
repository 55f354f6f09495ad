// Shared setup of the controller integration tests: the real API server (global setup), Kure's
// CRDs, a real git http-backend server with basic auth, unique namespaces per test, and the
// controller run in-process through startManager().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { KureResource } from '../../../src/api/schema.js';
import { readResources } from '../../../src/cli/read.js';
import { createGitSink } from '../../../src/controller/git-sink.js';
import { startManager, type Manager, type ManagerOptions } from '../../../src/controller/manager.js';
import { REPO_ROOT } from '../../support/control-plane.js';
import { gitCli, startGitServer, type GitServer } from '../../support/git-server.js';
import { applyCrdsFromDir, createTestNamespace, kubeRequest, loadTestKubeConfig, serverSideApply } from '../../support/kube.js';

export const GIT_USER = 'kure';
export const GIT_PASSWORD = 's3cr3t-pw';
export const API = 'kure.dev/v1alpha1';
const PLURAL: Record<string, string> = {
  KureCluster: 'kureclusters',
  KureNode: 'kurenodes',
  KureBundle: 'kurebundles',
  KureApplication: 'kureapplications',
};

let crdsInstalled: Promise<void> | undefined;
/** Installs crds/ once per test file (the API server is shared by the whole run). */
export function installCrds(): Promise<void> {
  crdsInstalled ??= applyCrdsFromDir(path.join(REPO_ROOT, 'crds')).then(() => undefined);
  return crdsInstalled;
}

export async function startGit(): Promise<GitServer> {
  return startGitServer({ username: GIT_USER, password: GIT_PASSWORD });
}

/** The label Kure's Secret informer selects on: credentials Secrets carry it. */
export const CREDENTIALS_LABELS = { 'kure.dev/credentials': 'true' };

/** A Git credentials Secret, labelled kure.dev/credentials=true unless `labels` says otherwise. */
export async function createGitSecret(
  namespace: string,
  name = 'git-auth',
  data: Record<string, string> = { username: GIT_USER, password: GIT_PASSWORD },
  labels: Record<string, string> = CREDENTIALS_LABELS,
): Promise<void> {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  await serverSideApply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels }, data: encoded, type: 'Opaque' } as never);
}

export const silentLogger = () => pino({ level: process.env.KURE_TEST_LOG_LEVEL ?? 'silent' });

/**
 * startManager with test-friendly defaults: watched namespaces only, no leader election, ephemeral
 * port. A Git cache it creates itself (no `options.sink`) is removed when the manager stops.
 */
export async function startTestManager(namespaces: string[], options: ManagerOptions = {}): Promise<Manager> {
  const cacheDir = options.sink ? undefined : mkdtempSync(path.join(tmpdir(), 'kure-ctl-git-'));
  const removeCache = () => cacheDir && rmSync(cacheDir, { recursive: true, force: true });
  const started = startManager({
    kubeConfig: loadTestKubeConfig(),
    namespaces,
    metricsAddr: '127.0.0.1:0',
    leaderElect: false,
    settleMs: 200,
    maxSettleMs: 5000,
    resyncPeriodMs: 3_600_000,
    concurrency: 4,
    logger: silentLogger(),
    sink: options.sink ?? createGitSink(cacheDir as string, silentLogger()),
    shutdownGracePeriodMs: 5000,
    ...options,
  });
  const m = await started.catch((err: unknown) => {
    removeCache();
    throw err;
  });
  await m.waitForSync();
  return { ...m, stop: () => m.stop().finally(removeCache) };
}

export async function newNamespace(prefix = 'kc'): Promise<string> {
  return createTestNamespace(prefix);
}

export async function apply(obj: KureResource | Record<string, unknown>): Promise<void> {
  const clean = structuredClone(obj) as Record<string, unknown> & { metadata: Record<string, unknown> };
  delete clean.status;
  for (const k of ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields', 'finalizers', 'deletionTimestamp']) delete clean.metadata[k];
  await serverSideApply(clean as never);
}

export async function applyAll(objs: readonly (KureResource | Record<string, unknown>)[], parallel = 16): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, objs.length) }, async () => {
      while (i < objs.length) await apply(objs[i++]!);
    }),
  );
}

export async function getKure(kind: string, namespace: string, name: string): Promise<KureResource | undefined> {
  try {
    return (await kubeRequest<KureResource>('GET', `/apis/${API}/namespaces/${namespace}/${PLURAL[kind]}/${name}`)).body;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

export async function deleteKure(kind: string, namespace: string, name: string): Promise<void> {
  await kubeRequest('DELETE', `/apis/${API}/namespaces/${namespace}/${PLURAL[kind]}/${name}`);
}

export async function ready(kind: string, namespace: string, name: string) {
  const obj = await getKure(kind, namespace, name);
  return { obj, ready: obj?.status?.conditions?.find((c) => c.type === 'Ready') };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function waitReady(kind: string, namespace: string, name: string, match: { status?: string; reason?: string } = { status: 'True' }, timeoutMs = 30_000) {
  return waitFor(
    `${kind} ${namespace}/${name} Ready ${JSON.stringify(match)}`,
    async () => {
      const { obj, ready: r } = await ready(kind, namespace, name);
      if (!r || !obj) return undefined;
      if (r.observedGeneration !== undefined && r.observedGeneration !== obj.metadata.generation) return undefined;
      if (match.status && r.status !== match.status) return undefined;
      if (match.reason && r.reason !== match.reason) return undefined;
      return r;
    },
    timeoutMs,
  );
}

// ---------------------------------------------------------------- git inspection
/**
 * Commits on `branch`: 0 when the branch does not exist yet (nothing pushed); any other git failure
 * (no such repository, a corrupt one) throws instead of passing for "no commits".
 */
export function commitCount(git: GitServer, repo: string, branch = 'main'): number {
  const gitdir = git.gitdir(repo);
  try {
    gitCli(['--git-dir', gitdir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
  } catch (err) {
    // --verify --quiet exits 1 with no output for a missing ref; a missing or broken repository exits 128.
    if ((err as { status?: number }).status === 1) return 0;
    throw new Error(`commitCount: cannot read ${gitdir}: ${(err as Error).message}`, { cause: err });
  }
  const n = Number(gitCli(['--git-dir', gitdir, 'rev-list', '--count', `refs/heads/${branch}`]).trim());
  if (!Number.isInteger(n)) throw new Error(`commitCount: git rev-list --count printed no number for ${gitdir} ${branch}`);
  return n;
}

export function head(git: GitServer, repo: string, branch = 'main'): string {
  return gitCli(['--git-dir', git.gitdir(repo), 'rev-parse', branch]).trim();
}

export function lsTree(git: GitServer, repo: string, under = '', ref = 'main'): string[] {
  const out = gitCli(['--git-dir', git.gitdir(repo), 'ls-tree', '-r', '--name-only', ref, ...(under ? ['--', under] : [])]);
  return out.split('\n').filter(Boolean).sort();
}

export function show(git: GitServer, repo: string, file: string, ref = 'main'): string {
  return gitCli(['--git-dir', git.gitdir(repo), 'show', `${ref}:${file}`]);
}

export function changedFiles(git: GitServer, repo: string, ref = 'main'): string[] {
  return gitCli(['--git-dir', git.gitdir(repo), 'show', '--name-only', '--format=', ref]).split('\n').filter(Boolean).sort();
}

// ---------------------------------------------------------------- example resources
/**
 * The repository's examples/platform, moved into this test's namespaces and pointed at the test Git
 * server (one repository for both clusters, as in the example).
 */
export function examples(ns: { platform: string; staging: string; teamA: string }, repoUrl: string, secretName = 'git-auth'): KureResource[] {
  const { resources, errors } = readResources([path.join(REPO_ROOT, 'examples', 'platform')], () => '');
  if (errors.length) throw new Error(errors.join('\n'));
  const map: Record<string, string> = { platform: ns.platform, 'platform-staging': ns.staging, 'team-a': ns.teamA };
  const text = JSON.stringify(resources).replace(/"(platform|platform-staging|team-a)"/g, (m, n: string) => JSON.stringify(map[n] ?? n));
  const out = JSON.parse(text) as KureResource[];
  for (const r of out) {
    if (r.kind === 'KureCluster') {
      r.spec.repository.url = repoUrl;
      r.spec.repository.secretRef = { name: secretName };
    }
  }
  return out;
}

export function kureObject(kind: string, namespace: string, name: string, spec: Record<string, unknown>): KureResource {
  return { apiVersion: API, kind, metadata: { name, namespace }, spec } as KureResource;
}

export function configMapApp(namespace: string, name: string, bundle: string, data: Record<string, string>): KureResource {
  return kureObject('KureApplication', namespace, name, {
    bundleRef: { name: bundle },
    manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }],
  });
}

/** A minimal flux cluster with one node and one bundle, in `namespace`. */
export function smallCluster(namespace: string, repoUrl: string, opts: { name?: string; path?: string; deletionPolicy?: 'Retain' | 'Delete'; bundle?: string } = {}): KureResource[] {
  const name = opts.name ?? 'prod';
  return [
    kureObject('KureCluster', namespace, name, {
      gitops: { engine: 'flux' },
      repository: { url: repoUrl, branch: 'main', path: opts.path ?? `clusters/${name}`, secretRef: { name: 'git-auth' } },
      ...(opts.deletionPolicy ? { deletionPolicy: opts.deletionPolicy } : {}),
    }),
    kureObject('KureNode', namespace, 'apps', { clusterRef: { name } }),
    kureObject('KureBundle', namespace, opts.bundle ?? 'web', { nodeRef: { name: 'apps' } }),
  ];
}

// ---------------------------------------------------------------- the real CLI as a process
let cliBuild: Promise<string> | undefined;
/**
 * Compiles src/ (tsconfig.build.json) into a fresh `.cache/kure-cli-build-*` directory, once per test file,
 * and returns the path of its `src/cli/main.js`. Inside the repository so that ESM resolution finds
 * node_modules (.cache is git-ignored); not dist/, which belongs to `npm run build`.
 */
export function buildCli(): Promise<string> {
  cliBuild ??= (async () => {
    mkdirSync(path.join(REPO_ROOT, '.cache'), { recursive: true });
    const out = mkdtempSync(path.join(REPO_ROOT, '.cache', 'kure-cli-build-'));
    await promisify(execFile)(path.join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: REPO_ROOT });
    writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'module' }));
    return path.join(out, 'src', 'cli', 'main.js');
  })();
  return cliBuild;
}

/** Removes what buildCli() compiled (call in afterAll, after the processes have exited). */
export async function removeCliBuild(): Promise<void> {
  const main = await cliBuild?.catch(() => undefined);
  cliBuild = undefined;
  if (main) rmSync(path.resolve(main, '../../..'), { recursive: true, force: true });
}

export interface ControllerProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** Everything it wrote to stdout and stderr so far. */
  logs(): string;
  /** Its JSON log records (pino lines of stdout). */
  records(): { msg?: string; [field: string]: unknown }[];
  /** Resolves with the exit code (128 + n when killed by a signal). */
  readonly exited: Promise<number>;
  /** "host:port" of /metrics, from its "serving /metrics" log line. */
  metricsAddress(): Promise<string>;
  /** The value of a metric, summed over its label sets (0 when absent). */
  metric(name: string): Promise<number>;
  readyz(): Promise<number>;
  /** Sends the signal unless it has exited already. */
  kill(signal?: NodeJS.Signals): void;
}

/** Spawns `node <main.js> controller ...args` (see buildCli) with its own metrics port taken from the logs. */
export function spawnController(main: string, name: string, args: string[], env: NodeJS.ProcessEnv = {}): ControllerProcess {
  const child = spawn(process.execPath, [main, 'controller', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const records: { msg?: string; [field: string]: unknown }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    text += line + '\n';
    try {
      records.push(JSON.parse(line) as { msg?: string });
    } catch {
      // not a log record
    }
  });
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber[signal] ?? 0) : -1)));
    child.on('error', () => resolve(-1));
  });
  const metricsAddress = () =>
    waitFor(`${name}: its "serving /metrics" log line`, () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${text}`);
      return records.find((r) => r.msg?.startsWith('serving /metrics'))?.address as string | undefined;
    });
  return {
    child,
    name,
    logs: () => text,
    records: () => records,
    exited,
    metricsAddress,
    async metric(metric) {
      const body = await (await fetch(`http://${await metricsAddress()}/metrics`)).text();
      let sum = 0;
      for (const m of body.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
      return sum;
    },
    async readyz() {
      return (await fetch(`http://${await metricsAddress()}/readyz`)).status;
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
const signalNumber: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
