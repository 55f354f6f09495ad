// Starts the local test control plane (embedded etcd + the real kube-apiserver, built from
// test/control-plane/ by scripts/build-control-plane.sh) and hands back its admin kubeconfig.
//
// Imports only Node built-ins, so scripts/control-plane.ts can load this file directly with Node's
// type stripping, and jest's global setup can load it through ts-jest.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ControlPlane {
  /** Admin kubeconfig (client certificate CN=admin, O=system:masters). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  pid: number;
  /** Milliseconds from spawning the binary to GET /readyz ok. */
  startupMs: number;
  /** Resolves with the exit code when the process ends (for whatever reason). */
  exited: Promise<number | null>;
  /** SIGTERM, wait for a clean exit (SIGKILL after a grace period), remove the temp dirs. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Build the binary if missing or stale (default true). */
  build?: boolean;
  /** Where the binary's stderr goes (default .cache/control-plane/control-plane.log). */
  logFile?: string;
  /** Give up if the API server is not ready by then (default 180 s). */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags. */
  apiServerArgs?: string[];
}

/** Environment variable naming the kubeconfig of the cluster integration tests run against. */
export const KUBECONFIG_ENV = 'KURE_TEST_KUBECONFIG';
/** Set to the stamped Kubernetes version by global setup when it started the local control plane. */
export const LOCAL_VERSION_ENV = 'KURE_TEST_CONTROL_PLANE_VERSION';

/** The repository root: the nearest directory above this file with a package.json (from test/ or dist/test/). */
export const REPO_ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return dir;
})();
export const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'control-plane');
export const BINARY = path.join(CACHE_DIR, 'kube-control-plane');
export const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'build-control-plane.sh');

/** The Kubernetes version the binary is built from (k8s.io/kubernetes in test/control-plane/go.mod). */
export function controlPlaneVersion(): string {
  const goMod = readFileSync(path.join(REPO_ROOT, 'test', 'control-plane', 'go.mod'), 'utf8');
  const m = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+\S*)\s*$/m.exec(goMod);
  if (!m?.[1]) throw new Error('no k8s.io/kubernetes version in test/control-plane/go.mod');
  return m[1];
}

/** Runs scripts/build-control-plane.sh (it rebuilds only when needed); its progress goes to stderr. */
export async function buildControlPlane(): Promise<string> {
  const child = spawn('bash', [BUILD_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`${BUILD_SCRIPT} failed with exit code ${code}`);
  const binary = out.trim().split('\n').pop() ?? BINARY;
  if (!existsSync(binary)) throw new Error(`${BUILD_SCRIPT} did not produce ${binary}`);
  return binary;
}

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const binary = options.build === false ? BINARY : await buildControlPlane();
  mkdirSync(CACHE_DIR, { recursive: true });
  const rootDir = mkdtempSync(path.join(tmpdir(), 'kure-control-plane-'));
  const logFile = options.logFile ?? path.join(CACHE_DIR, 'control-plane.log');
  const log = createWriteStream(logFile);
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;

  const started = performance.now();
  const child: ChildProcess = spawn(
    binary,
    [
      `--root-dir=${rootDir}`,
      '--exit-on-stdin-close', // if this Node process dies, the pipe closes and the control plane stops
      `--ready-timeout=${Math.ceil(readyTimeoutMs / 1000)}s`,
      ...(options.apiServerArgs?.length ? ['--', ...options.apiServerArgs] : []),
    ],
    // Own process group: a terminal's Ctrl-C reaches only us, and we stop the child with one SIGTERM.
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  const tail: string[] = [];
  child.stderr!.setEncoding('utf8');
  createInterface({ input: child.stderr! }).on('line', (line) => {
    log.write(line + '\n');
    tail.push(line);
    if (tail.length > 40) tail.shift();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.on('error', () => resolve(null));
  });
  const removeRoot = () => rmSync(rootDir, { recursive: true, force: true });

  let kubeconfigPath: string;
  try {
    kubeconfigPath = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`control plane not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs + 5_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^KUBECONFIG=(.+)$/.exec(line);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`control plane exited with code ${code} before it was ready`));
      });
    });
  } catch (err) {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    removeRoot();
    log.end();
    throw new Error(`${(err as Error).message}; see ${logFile}. Last log lines:\n${tail.join('\n')}`, { cause: err });
  }
  const startupMs = Math.round(performance.now() - started);
  const server = /^\s*server:\s*(\S+)/m.exec(readFileSync(kubeconfigPath, 'utf8'))?.[1] ?? '';

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const code = await Promise.race([exited, sleep(40_000).then(() => 'timeout' as const)]);
        if (code === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      removeRoot(); // normally the binary has removed it already
      await new Promise<void>((resolve) => log.end(resolve));
    })());

  return { kubeconfigPath, server, pid: child.pid!, startupMs, exited, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
