// GitHub App authentication, by hand with node:crypto (not @octokit/auth-app: with its OAuth
// dependencies it pulls in @octokit/core's 6.5 MB of types and request code for one POST). The App's
// key signs a JWT (RS256; iat 60 s in the past against clock skew, exp 9 min ahead: GitHub allows
// at most 10), which buys an installation access token (1 hour) from
// POST /app/installations/{id}/access_tokens. The token is cached per App, installation, key and
// API root, and bought again 5 minutes before its expires_at. It serves both the forge API and Git
// over HTTPS (username x-access-token). Neither the key nor a token appears in an error.
//
// The Secret's keys are Flux's (and Argo CD's) for GitHub Apps: githubAppID,
// githubAppInstallationID, githubAppPrivateKey, and optionally githubAppBaseURL (the API root of a
// GitHub Enterprise Server, e.g. https://github.example/api/v3).
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { GITHUB_API, githubApiUrlFor, githubMessage } from './github.js';
import { ForgeHttp } from './http.js';
import { ForgeError } from './types.js';
import type { ForgeCredentials } from './factory.js';

export interface GitHubAppKeys {
  appId: string;
  installationId: string;
  /** PEM (PKCS#1 "RSA PRIVATE KEY" as GitHub hands it out, or PKCS#8). */
  privateKey: string;
}

export interface InstallationToken {
  token: string;
  /** ms since the epoch */
  expiresAt: number;
}

const REFRESH_BEFORE_MS = 5 * 60_000;

function b64url(x: Buffer | string): string {
  return Buffer.from(x).toString('base64url');
}

function parseKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem.replace(/\\n/g, '\n'), format: 'pem' });
  } catch {
    throw new ForgeError('auth', 'the Secret key githubAppPrivateKey is not a PEM private key (the .pem file GitHub generates for the App)', { forge: 'github' });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new ForgeError('auth', `the Secret key githubAppPrivateKey is a ${key.asymmetricKeyType ?? 'non-RSA'} key; a GitHub App key is RSA`, { forge: 'github' });
  return key;
}

/** The App's JWT (RS256): `iss` the App ID, `iat` now − 60 s, `exp` now + 9 min. */
export function appJwt(appId: string, key: KeyObject | string, nowMs: number): string {
  const k = typeof key === 'string' ? parseKey(key) : key;
  const now = Math.floor(nowMs / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now - 60, exp: now + 9 * 60, iss: /^\d+$/.test(appId) ? Number(appId) : appId }));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), k);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** Installation tokens of one App installation, cached and refreshed 5 minutes before expiry. */
export class GitHubAppTokenSource {
  private readonly key: KeyObject;
  private cached: InstallationToken | undefined;
  private inflight: Promise<InstallationToken> | undefined;
  private readonly apiUrl: string;
  private readonly now: () => number;
  private readonly timeoutMs: number | undefined;

  constructor(
    private readonly keys: GitHubAppKeys,
    opts: { apiUrl?: string; now?: () => number; timeoutMs?: number } = {},
  ) {
    if (!/^\d+$/.test(keys.appId.trim())) throw new ForgeError('auth', 'the Secret key githubAppID must be the numeric App ID (App settings, About)', { forge: 'github' });
    if (!/^\d+$/.test(keys.installationId.trim())) throw new ForgeError('auth', 'the Secret key githubAppInstallationID must be the numeric installation ID (the last part of the installation settings URL)', { forge: 'github' });
    this.key = parseKey(keys.privateKey);
    this.apiUrl = (opts.apiUrl ?? GITHUB_API).replace(/\/+$/, '');
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs;
  }

  /** A token valid for at least 5 more minutes. */
  async token(): Promise<string> {
    const t = this.cached;
    if (t && this.now() < t.expiresAt - REFRESH_BEFORE_MS) return t.token;
    this.inflight ??= this.mint().finally(() => {
      this.inflight = undefined;
    });
    this.cached = await this.inflight;
    return this.cached.token;
  }

  private async mint(): Promise<InstallationToken> {
    const jwt = appJwt(this.keys.appId.trim(), this.key, this.now());
    const http = new ForgeHttp({
      forge: 'github',
      label: `GitHub App ${this.keys.appId.trim()} installation ${this.keys.installationId.trim()}:`,
      headers: { Authorization: `Bearer ${jwt}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'kure' },
      secrets: [jwt],
      ...(this.timeoutMs ? { timeoutMs: this.timeoutMs } : {}),
      now: this.now,
      message: githubMessage,
    });
    let data: { token?: string; expires_at?: string } | undefined;
    try {
      ({ data } = await http.call<{ token?: string; expires_at?: string }>('POST', `${this.apiUrl}/app/installations/${encodeURIComponent(this.keys.installationId.trim())}/access_tokens`));
    } catch (err) {
      if (err instanceof ForgeError && err.kind === 'not-found') throw new ForgeError('auth', `${err.message} (githubAppInstallationID: is the App installed there?)`, err.opts);
      throw err;
    }
    const expiresAt = Date.parse(data?.expires_at ?? '');
    if (!data?.token || !Number.isFinite(expiresAt)) throw new ForgeError('other', `GitHub App ${this.keys.appId.trim()}: the access_tokens answer has no token or expires_at`, { forge: 'github' });
    return { token: data.token, expiresAt };
  }
}

// One source per App installation, key and API root: every reconcile asks, GitHub is asked once an hour.
const sources = new Map<string, GitHubAppTokenSource>();

function sourceFor(keys: GitHubAppKeys, apiUrl: string, now?: () => number): GitHubAppTokenSource {
  const id = createHash('sha256').update(`${apiUrl}\0${keys.appId.trim()}\0${keys.installationId.trim()}\0${keys.privateKey}`).digest('hex');
  let s = sources.get(id);
  if (!s) {
    s = new GitHubAppTokenSource(keys, { apiUrl, ...(now ? { now } : {}) });
    if (sources.size >= 256) sources.delete(sources.keys().next().value!);
    sources.set(id, s);
  }
  return s;
}

/** api.github.com, or GitHub Enterprise Server's /api/v3 for an https clone URL on another host. */
function apiRootOf(cloneUrl: string | undefined): string {
  if (!cloneUrl || !/^https?:\/\//i.test(cloneUrl)) return GITHUB_API;
  try {
    return githubApiUrlFor(cloneUrl);
  } catch {
    return GITHUB_API;
  }
}

/** Forget the cached installation tokens (tests; a rotated key gets a new entry anyway). */
export function clearGitHubAppTokens(): void {
  sources.clear();
}

export type GitCredentials = { username: string; password: string } | { token: string };

export interface RepositoryCredentials {
  /** For GitTarget.auth (push and fetch). */
  git: GitCredentials;
  /** For forgeFor / syncClusterPullRequest. */
  forge: ForgeCredentials;
  /** Which keys were used. */
  kind: 'token' | 'basic' | 'github-app';
}

export const GITHUB_APP_KEYS = ['githubAppID', 'githubAppInstallationID', 'githubAppPrivateKey'] as const;

/**
 * The repository Secret's decoded data → Git and forge credentials. `token`, or `username` and
 * `password`, as before; or a GitHub App (`githubAppID`, `githubAppInstallationID`,
 * `githubAppPrivateKey`, optional `githubAppBaseURL`): an installation token (cached, refreshed 5
 * minutes before expiry) for the API and as Git password of `x-access-token`. `apiUrl`:
 * spec.repository.pullRequest.apiUrl (used when the Secret has no githubAppBaseURL). Throws a
 * ForgeError (kind `auth` for missing or refused keys, `rate-limit`, `network`) naming the key;
 * never the key or token.
 */
export async function credentialsFromSecret(data: Record<string, string>, apiUrl?: string, opts: { now?: () => number; cloneUrl?: string } = {}): Promise<RepositoryCredentials> {
  const present = GITHUB_APP_KEYS.filter((k) => data[k] !== undefined && data[k] !== '');
  if (present.length > 0) {
    const missing = GITHUB_APP_KEYS.filter((k) => !present.includes(k));
    if (missing.length) throw new ForgeError('auth', `a GitHub App Secret needs the keys ${GITHUB_APP_KEYS.join(', ')}; missing: ${missing.join(', ')}`, { forge: 'github' });
    const root = (data.githubAppBaseURL || apiUrl || apiRootOf(opts.cloneUrl)).replace(/\/+$/, '');
    const token = await sourceFor({ appId: data.githubAppID!, installationId: data.githubAppInstallationID!, privateKey: data.githubAppPrivateKey! }, root, opts.now).token();
    return { git: { username: 'x-access-token', password: token }, forge: { token }, kind: 'github-app' };
  }
  if (data.token) return { git: { token: data.token }, forge: { token: data.token }, kind: 'token' };
  if (data.username !== undefined && data.password !== undefined) return { git: { username: data.username, password: data.password }, forge: { username: data.username, password: data.password }, kind: 'basic' };
  throw new ForgeError('auth', `the Secret must have the keys token, or username and password, or ${GITHUB_APP_KEYS.join(', ')}`, { forge: 'forge' });
}
