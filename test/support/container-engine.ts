// A Docker-API container engine for testcontainers: DOCKER_HOST when set, else /var/run/docker.sock,
// else a `podman system service` this process starts on a socket of its own (and stops again).
//
// With podman (see README, "Running the image"): testcontainers' Ryuk reaper image cannot be pulled where
// public registries are unreachable, so TESTCONTAINERS_RYUK_DISABLED=true and the tests remove their
// containers themselves.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ContainerEngine {
  /** unix:///... or tcp://... */
  dockerHost: string;
  /** What it is, for messages: "podman service (started by the tests)", "DOCKER_HOST=...". */
  description: string;
  /** Stops the podman service if this process started it. */
  stop(): Promise<void>;
}

/** In CI (CI=true) or with KURE_TEST_REQUIRE_CONTAINERS=1, a missing engine, image or helm fails instead of skipping. */
export const CONTAINERS_REQUIRED = process.env.CI === 'true' || process.env.KURE_TEST_REQUIRE_CONTAINERS === '1';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** GET /_ping on a Docker API endpoint (unix:// or tcp://); true when it answers OK. */
export function ping(dockerHost: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(dockerHost);
    const opts: http.RequestOptions =
      u.protocol === 'unix:' ? { socketPath: u.pathname, path: '/_ping' } : { host: u.hostname, port: u.port || 2375, path: '/_ping' };
    const req = http.get({ ...opts, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * Finds or starts a container engine and points testcontainers at it (process.env.DOCKER_HOST). Returns a
 * reason string instead when there is none.
 */
export async function connectContainerEngine(): Promise<ContainerEngine | string> {
  const existing = process.env.DOCKER_HOST;
  if (existing) {
    if (await ping(existing)) return { dockerHost: existing, description: `DOCKER_HOST=${existing}`, stop: async () => undefined };
    return `DOCKER_HOST=${existing} does not answer GET /_ping`;
  }
  if (existsSync('/var/run/docker.sock') && (await ping('unix:///var/run/docker.sock'))) {
    process.env.DOCKER_HOST = 'unix:///var/run/docker.sock';
    return { dockerHost: process.env.DOCKER_HOST, description: 'the Docker engine on /var/run/docker.sock', stop: async () => undefined };
  }
  if (!onPath('podman')) return 'no container engine: DOCKER_HOST is not set, /var/run/docker.sock does not answer and podman is not installed';

  const dir = mkdtempSync(path.join(tmpdir(), 'kure-podman-'));
  const socket = path.join(dir, 'podman.sock');
  const dockerHost = `unix://${socket}`;
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=0', dockerHost], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await ping(dockerHost, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      return `podman system service did not come up on ${socket}: ${stderr.trim() || `exit code ${child.exitCode}`}`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.env.DOCKER_HOST = dockerHost;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  return { dockerHost, description: `podman system service on ${socket} (started by the tests)`, stop };
}

/** One Docker API request (JSON answer parsed when it is JSON). */
export function engineRequest<T = unknown>(dockerHost: string, method: string, urlPath: string): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const u = new URL(dockerHost);
    const opts: http.RequestOptions =
      u.protocol === 'unix:' ? { socketPath: u.pathname, path: urlPath, method } : { host: u.hostname, port: u.port || 2375, path: urlPath, method };
    const req = http.request(opts, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: body as T });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether the engine has an image (GET /images/<name>/json). */
export async function hasImage(dockerHost: string, image: string): Promise<boolean> {
  try {
    return (await engineRequest(dockerHost, 'GET', `/images/${encodeURIComponent(image)}/json`)).status === 200;
  } catch {
    return false;
  }
}
