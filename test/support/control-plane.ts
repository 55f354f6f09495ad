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
  /** The current process (changes with restart()). */
  readonly pid: number;
  /** Milliseconds from spawning the binary to GET /readyz ok (of the latest start). */
  readonly startupMs: number;
  /** Resolves with the exit code when the current process ends (for whatever reason). */
  readonly exited: Promise<number | null>;
  /** The --data-dir of a restartable control plane (options.dataDir), else undefined. */
  dataDir: string | undefined;
  /**
   * Stops the API server process only (SIGTERM: graceful; SIGKILL: a crash) and waits for it to exit;
   * the data, certificates and ports stay in dataDir for start(). Needs options.dataDir.
   */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
  /** Starts the process again on the same data and ports; resolves when /readyz is ok. Needs options.dataDir. */
  start(): Promise<void>;
  /** kill(signal), wait downMs, start(). */
  restart(options?: { signal?: 'SIGTERM' | 'SIGKILL'; downMs?: number }): Promise<void>;
  /** SIGTERM, wait for a clean exit (SIGKILL after a grace period), remove the temp dirs (never options.dataDir). */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Build the binary if missing or stale (default true). */
  build?: boolean;
  /** Where the binary's stderr goes (default .cache/control-plane/control-plane.log); appended to across restarts. */
  logFile?: string;
  /** Give up if the API server is not ready by then (default 180 s). */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags. */
  apiServerArgs?: string[];
  /**
   * Keep etcd data, certificates, kubeconfig and ports in this directory (`--data-dir`), so that kill() and
   * start() restart the same cluster on the same port. Created if missing, never removed (the caller owns it).
   * Without it the control plane lives in a temp dir removed on exit, and cannot be restarted.
   */
  dataDir?: string;
  /** The API server's secure port (default: a free one, or the one recorded in dataDir). */
  port?: number;
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
  const dataDir = options.dataDir;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const rootDir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'kure-control-plane-'));
  const logFile = options.logFile ?? path.join(CACHE_DIR, 'control-plane.log');
  const log = createWriteStream(logFile);
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const removeRoot = () => {
    if (!dataDir) rmSync(rootDir, { recursive: true, force: true });
  };

  interface Run {
    child: ChildProcess;
    exited: Promise<number | null>;
    kubeconfigPath: string;
    startupMs: number;
  }

  /** Spawns the binary and waits for KUBECONFIG=...; on failure stops it and throws. */
  const launch = async (): Promise<Run> => {
    const started = performance.now();
    const child: ChildProcess = spawn(
      binary,
      [
        dataDir ? `--data-dir=${dataDir}` : `--root-dir=${rootDir}`,
        ...(options.port ? [`--port=${options.port}`] : []),
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
    try {
      const kubeconfigPath = await new Promise<string>((resolve, reject) => {
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
      return { child, exited, kubeconfigPath, startupMs: Math.round(performance.now() - started) };
    } catch (err) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}; see ${logFile}. Last log lines:\n${tail.join('\n')}`, { cause: err });
    }
  };

  /** Ends the current process: `signal`, and SIGKILL if it is still there after the grace period. */
  const end = async (r: Run, signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null> => {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill(signal);
      const code = await Promise.race([r.exited, sleep(40_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') r.child.kill('SIGKILL');
    }
    return r.exited;
  };

  let run: Run;
  try {
    run = await launch();
  } catch (err) {
    removeRoot();
    log.end();
    throw err;
  }
  const serverOf = (kubeconfigPath: string) => /^\s*server:\s*(\S+)/m.exec(readFileSync(kubeconfigPath, 'utf8'))?.[1] ?? '';
  const needsDataDir = (what: string) => {
    if (!dataDir) throw new Error(`ControlPlane.${what}() needs startControlPlane({ dataDir })`);
  };

  let stopping: Promise<void> | undefined;
  const cp: ControlPlane = {
    kubeconfigPath: run.kubeconfigPath,
    server: serverOf(run.kubeconfigPath),
    get pid() {
      return run.child.pid!;
    },
    get startupMs() {
      return run.startupMs;
    },
    get exited() {
      return run.exited;
    },
    dataDir,
    async kill(signal = 'SIGTERM') {
      needsDataDir('kill');
      return end(run, signal);
    },
    async start() {
      needsDataDir('start');
      if (stopping) throw new Error('the control plane was stopped');
      if (run.child.exitCode === null && run.child.signalCode === null) throw new Error(`the control plane is still running (pid ${run.child.pid})`);
      run = await launch();
      const server = serverOf(run.kubeconfigPath);
      if (server !== cp.server) throw new Error(`restarted on ${server}, not on ${cp.server}`);
    },
    async restart({ signal = 'SIGTERM', downMs = 0 } = {}) {
      await cp.kill(signal);
      await sleep(downMs);
      await cp.start();
    },
    stop: () =>
      (stopping ??= (async () => {
        await end(run, 'SIGTERM'); // nothing to do when kill() ended it
        removeRoot(); // normally the binary has removed it already
        await new Promise<void>((resolve) => log.end(resolve));
      })()),
  };
  return cp;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
