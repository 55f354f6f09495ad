// A real Gitea (1.26, scripts/build-gitea.sh) for the pull-request tests: loopback only, SQLite,
// INSTALL_LOCK (no installer), OFFLINE_MODE, SSH off, registration off. An admin user is created
// with the CLI before the web server starts; its API token (scope all) is minted through the API.
// Tokens are kept in memory only and never printed (the log file holds Gitea's own output).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startManagedProcess, type ManagedProcess } from './managed-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GITEA_DIR = path.join(ROOT, '.cache', 'gitea');
export const GITEA_BIN = path.join(GITEA_DIR, 'gitea');

export function giteaAvailable(): boolean {
  return fs.existsSync(GITEA_BIN) && fs.existsSync(path.join(GITEA_DIR, 'templates'));
}

export interface GiteaUser {
  username: string;
  password: string;
  /** API token (scope `all`). */
  token: string;
}

export interface Gitea {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly apiUrl: string;
  readonly admin: GiteaUser;
  /** `http://127.0.0.1:<port>/<owner>/<repo>.git` */
  repoUrl(owner: string, repo: string): string;
  /** JSON API call; throws with the status and Gitea's message on non-2xx. `as`: whose token (default admin). */
  api<T = unknown>(method: string, apiPath: string, body?: unknown, as?: GiteaUser): Promise<T>;
  createUser(username: string): Promise<GiteaUser>;
  /** A repository owned by `owner` with one initial commit (README.md) on `main`. */
  createRepo(owner: GiteaUser, name: string): Promise<void>;
  /** The git CLI environment for cloning/pushing as `user` (credentials in an askpass-free URL helper). */
  authUrl(user: GiteaUser, owner: string, repo: string): string;
  tail(lines?: number): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${path.basename(cmd)} ${args[0] ?? ''} ${args[1] ?? ''} failed: ${err.message}\n${stderr}\n${stdout}`)) : resolve(stdout),
    );
  });
}

export async function startGitea(opts: { logFile?: string; readyTimeoutMs?: number } = {}): Promise<Gitea> {
  if (!giteaAvailable()) throw new Error(`Gitea is not built: run scripts/build-gitea.sh (expected ${GITEA_BIN})`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-gitea-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = path.join(work, 'app.ini');
  const user = os.userInfo().username;
  fs.mkdirSync(path.join(work, 'data'), { recursive: true });
  fs.writeFileSync(
    config,
    `APP_NAME = kure-test
RUN_MODE = prod
RUN_USER = ${user}
WORK_PATH = ${work}

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
ROOT_URL = ${origin}/
DOMAIN = 127.0.0.1
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = ${GITEA_DIR}
APP_DATA_PATH = ${work}/data

[database]
DB_TYPE = sqlite3
PATH = ${work}/data/gitea.db

[repository]
ROOT = ${work}/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = ${randomBytes(24).toString('hex')}
INTERNAL_TOKEN = ${randomBytes(48).toString('hex')}

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false

[mailer]
ENABLED = false

[actions]
ENABLED = false

[indexer]
REPO_INDEXER_ENABLED = false

[cron]
ENABLED = false

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = ${work}/log

[oauth2]
ENABLED = false
`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: work,
    GITEA_WORK_DIR: work,
    GITEA_CUSTOM: path.join(work, 'custom'),
    GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  await run(GITEA_BIN, ['migrate', '--config', config], env);
  const admin = { username: 'kure-admin', password: `A1-${randomBytes(12).toString('hex')}` };
  await run(
    GITEA_BIN,
    ['admin', 'user', 'create', '--config', config, '--username', admin.username, '--password', admin.password, '--email', 'admin@example.com', '--admin', '--must-change-password=false'],
    env,
  );
  const proc: ManagedProcess = startManagedProcess({ name: 'gitea', command: GITEA_BIN, args: ['web', '--config', config], env, cwd: work, logFile: opts.logFile });
  const apiUrl = `${origin}/api/v1`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    try {
      const res = await fetch(`${apiUrl}/version`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`Gitea did not answer on ${origin} in time:\n${proc.tail(30)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const basic = (u: { username: string; password: string }): string => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
  async function call<T>(method: string, apiPath: string, body: unknown, authorization: string): Promise<T> {
    const res = await fetch(`${apiUrl}${apiPath}`, {
      method,
      headers: { Authorization: authorization, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Gitea ${method} ${apiPath}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  async function mintToken(u: { username: string; password: string }): Promise<string> {
    const t = await call<{ sha1: string }>('POST', `/users/${u.username}/tokens`, { name: `kure-${randomBytes(4).toString('hex')}`, scopes: ['all'] }, basic(u));
    return t.sha1;
  }
  const adminUser: GiteaUser = { ...admin, token: await mintToken(admin) };

  return {
    origin,
    apiUrl,
    admin: adminUser,
    repoUrl: (owner, repo) => `${origin}/${owner}/${repo}.git`,
    authUrl: (u, owner, repo) => `http://${encodeURIComponent(u.username)}:${encodeURIComponent(u.password)}@127.0.0.1:${port}/${owner}/${repo}.git`,
    api: <T>(method: string, apiPath: string, body?: unknown, as: GiteaUser = adminUser) => call<T>(method, apiPath, body, `token ${as.token}`),
    async createUser(username) {
      const password = `U1-${randomBytes(12).toString('hex')}`;
      await call('POST', '/admin/users', { username, password, email: `${username}@example.com`, must_change_password: false }, `token ${adminUser.token}`);
      return { username, password, token: await mintToken({ username, password }) };
    },
    async createRepo(owner, name) {
      await call('POST', '/user/repos', { name, auto_init: true, default_branch: 'main', readme: 'Default' }, `token ${owner.token}`);
    },
    tail: (lines) => proc.tail(lines),
    async stop() {
      await proc.stop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * A repository of the admin ("a person") with the bot as a writer and `main` protected: only the
 * admin may push, and the commit status `ci/test` is required before a merge.
 */
export async function protectedFleet(gitea: Gitea, bot: GiteaUser, name: string): Promise<void> {
  await gitea.createRepo(gitea.admin, name);
  const owner = gitea.admin.username;
  await gitea.api('PUT', `/repos/${owner}/${name}/collaborators/${bot.username}`, { permission: 'write' });
  await gitea.api('POST', `/repos/${owner}/${name}/branch_protections`, {
    rule_name: 'main',
    enable_push: true,
    enable_push_whitelist: true,
    push_whitelist_usernames: [owner],
    enable_status_check: true,
    status_check_contexts: ['ci/test'],
    required_approvals: 0,
  });
}
