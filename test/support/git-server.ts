// A real Git smart-HTTP server for tests: Git's own CGI (`git http-backend`) behind a small Node
// `http` front on loopback with HTTP Basic auth. Pushes persist in bare repositories under `root`
// and can be checked with the git CLI (`git --git-dir=<gitdir(name)> log`).
//
// See ../../../shared/reference/test-control-plane.md ("A real Git server").
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export interface GitServerOptions {
  username: string;
  password: string;
  /** Directory holding the bare repositories; a fresh temporary directory when absent. */
  root?: string;
  /** Address to listen on and to put in url()/authUrl() (default 127.0.0.1; a host IP for Pods of a real node). */
  host?: string;
}

export interface CreateRepoOptions {
  /** Branch HEAD points at (default `main`). */
  branch?: string;
  /** Seed the branch with one commit holding these files (repo-relative path → content). */
  files?: Record<string, string>;
}

/** How the server misbehaves on purpose: `refuse` closes the port (connection refused), `503` answers 503. */
export type DownMode = 'refuse' | '503';

export interface GitServer {
  /** Directory holding the bare repositories. */
  readonly root: string;
  readonly port: number;
  /** `http://<host>:<port>/<name>.git` (no credentials in it). */
  url(name: string): string;
  /** `http://user:password@<host>:<port>/<name>.git`, for the git CLI. */
  authUrl(name: string): string;
  /** The bare repository's directory. */
  gitdir(name: string): string;
  /** `git init --bare`, optionally seeded with one commit. Returns the bare repository's directory. */
  createRepo(name: string, opts?: CreateRepoOptions): string;
  /** Simulate "Git server down" (`true` = `refuse`) or bring it back (`false`) on the same port. */
  setDown(down: boolean | DownMode): Promise<void>;
  /** Requests served (any status), for tests that count round trips. */
  readonly requests: number;
  /**
   * The server dies in the middle of the next push: once `afterBytes` of its pack have reached
   * git http-backend, the CGI and the receive-pack under it are SIGKILLed and the connection is
   * dropped. Resolves with the bytes received by then, once it has happened.
   */
  killNextPush(afterBytes: number): Promise<number>;
  stop(): Promise<void>;
}

const GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Tester',
  GIT_AUTHOR_EMAIL: 'tester@example.com',
  GIT_COMMITTER_NAME: 'Tester',
  GIT_COMMITTER_EMAIL: 'tester@example.com',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};

/** Run the git CLI with an isolated configuration; returns stdout. */
export function gitCli(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: Record<string, string> } = {}): string {
  return execFileSync('git', args, {
    cwd: opts.cwd,
    input: opts.input,
    env: { ...process.env, ...GIT_ENV, ...opts.env },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * The git CLI, asynchronously: use this for anything that talks to the server, which runs in the
 * same process (a synchronous call would block the server and hang).
 */
export function gitCliAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd: opts.cwd, env: { ...process.env, ...GIT_ENV, ...opts.env }, encoding: 'utf8', maxBuffer: 1 << 30 },
      (err, stdout, stderr) => (err ? reject(new Error(`git ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

const AUTHOR_ENV = {
  GIT_AUTHOR_NAME: 'Seeder',
  GIT_AUTHOR_EMAIL: 'seeder@example.com',
  GIT_COMMITTER_NAME: 'Seeder',
  GIT_COMMITTER_EMAIL: 'seeder@example.com',
};

/**
 * Write one commit on `branch` of a bare repository with `git fast-import` (fast even for 100,000
 * files). `files` may be a generator so that huge trees need not sit in memory twice.
 */
export function seedCommit(
  gitdir: string,
  branch: string,
  files: Iterable<[string, string]>,
  message = 'seed',
): string {
  const chunks: Buffer[] = [];
  const now = Math.floor(Date.now() / 1000);
  const msg = Buffer.from(message + '\n');
  chunks.push(Buffer.from(`commit refs/heads/${branch}\ncommitter Seeder <seeder@example.com> ${now} +0000\ndata ${msg.length}\n`), msg);
  let parent: string;
  try {
    parent = gitCli(['--git-dir', gitdir, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`]).trim();
  } catch {
    parent = '';
  }
  if (parent) chunks.push(Buffer.from(`from ${parent}\n`));
  for (const [file, content] of files) {
    const data = Buffer.from(content);
    chunks.push(Buffer.from(`M 100644 inline ${file}\ndata ${data.length}\n`), data, Buffer.from('\n'));
  }
  chunks.push(Buffer.from('\n'));
  gitCli(['--git-dir', gitdir, 'fast-import', '--quiet'], { input: Buffer.concat(chunks), env: AUTHOR_ENV });
  return gitCli(['--git-dir', gitdir, 'rev-parse', `refs/heads/${branch}`]).trim();
}

export async function startGitServer(opts: GitServerOptions): Promise<GitServer> {
  const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kure-git-server-'));
  const ownsRoot = opts.root === undefined;
  const host = opts.host ?? '127.0.0.1';
  const backend = path.join(gitCli(['--exec-path']).trim(), 'git-http-backend');
  const expected = 'Basic ' + Buffer.from(`${opts.username}:${opts.password}`).toString('base64');
  let mode: DownMode | 'up' = 'up';
  let requests = 0;
  let killPush: { afterBytes: number; done: (bytes: number) => void } | undefined;
  let port = 0;
  let server: http.Server | undefined;
  const sockets = new Set<import('node:net').Socket>();

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    requests++;
    if (mode === '503') {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('down for maintenance\n');
      req.resume();
      return;
    }
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="kure-test"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      req.resume();
      return;
    }
    const u = new URL(req.url ?? '/', 'http://localhost');
    const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
    const gzipped = encoding === 'gzip' || encoding === 'x-gzip';
    const env: Record<string, string> = {
      ...process.env,
      ...GIT_ENV,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: opts.username,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
    };
    // We inflate gzip bodies here, so the CGI only sees plain bodies whose length is known
    // when the client sent it; otherwise it reads until EOF.
    if (!gzipped && req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);

    // Own process group, so that a kill reaches the receive-pack the CGI runs too.
    const cgi = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const kill = req.method === 'POST' && u.pathname.endsWith('/git-receive-pack') ? killPush : undefined;
    if (kill) {
      killPush = undefined;
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received < kill.afterBytes || received - chunk.length >= kill.afterBytes) return;
        try {
          process.kill(-cgi.pid!, 'SIGKILL');
        } catch {
          // gone already
        }
        req.socket.destroy();
        kill.done(received);
      });
    }
    let stderr = '';
    cgi.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    cgi.on('error', (err) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
    const body: NodeJS.ReadableStream = gzipped ? req.pipe(zlib.createGunzip()) : req;
    pipeline(body, cgi.stdin).catch(() => cgi.kill());

    // Parse the CGI headers (up to the first blank line), then stream the rest.
    let head = Buffer.alloc(0);
    let headersDone = false;
    const onData = (chunk: Buffer): void => {
      if (headersDone) return;
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (end < 0) {
        end = head.indexOf('\n\n');
        sepLen = 2;
      }
      if (end < 0) return;
      headersDone = true;
      cgi.stdout.off('data', onData);
      let status = 200;
      let statusText = 'OK';
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') {
          status = parseInt(value, 10);
          statusText = value.replace(/^\d+\s*/, '') || statusText;
        } else {
          headers[name] = value;
        }
      }
      res.writeHead(status, statusText, headers);
      const rest = head.subarray(end + sepLen);
      if (rest.length > 0) res.write(rest);
      cgi.stdout.pipe(res);
    };
    cgi.stdout.on('data', onData);
    cgi.on('close', (code) => {
      if (!headersDone) {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`git http-backend exited ${code}: ${stderr}`);
      }
    });
  };

  const listen = async (): Promise<void> => {
    const s = http.createServer(handler);
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const close = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();

  const gitdir = (name: string): string => path.join(root, name.endsWith('.git') ? name : `${name}.git`);
  const base = (): string => `${host}:${port}`;

  return {
    root,
    get port() {
      return port;
    },
    get requests() {
      return requests;
    },
    url: (name) => `http://${base()}/${path.basename(gitdir(name))}`,
    authUrl: (name) =>
      `http://${encodeURIComponent(opts.username)}:${encodeURIComponent(opts.password)}@${base()}/${path.basename(gitdir(name))}`,
    gitdir,
    createRepo(name, o = {}) {
      const branch = o.branch ?? 'main';
      const dir = gitdir(name);
      gitCli(['init', '--quiet', '--bare', `--initial-branch=${branch}`, dir]);
      gitCli(['--git-dir', dir, 'config', 'http.receivepack', 'true']);
      if (o.files) seedCommit(dir, branch, Object.entries(o.files));
      return dir;
    },
    async setDown(down) {
      const next: DownMode | 'up' = down === false ? 'up' : down === true ? 'refuse' : down;
      if (next === 'refuse' && server) await close();
      if (next !== 'refuse' && !server) await listen();
      mode = next;
    },
    killNextPush(afterBytes) {
      return new Promise<number>((resolve) => (killPush = { afterBytes, done: resolve }));
    },
    async stop() {
      await close();
      if (ownsRoot) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
