// Typed, redacted errors of the Git sink. The controller maps any GitError to status reason
// `GitError` with `message`; `kind` tells it whether retrying can help.

/**
 * - `auth`: the server refused the credentials (HTTP 401/403).
 * - `network`: the server could not be reached or answered 5xx/timeout; retry later.
 * - `conflict`: the branch kept moving under us; pushes were rejected `maxAttempts` times.
 * - `branch-not-found`: `repository.branch` (or a pull request's base branch) does not exist in a
 *   repository that has branches, and the spec does not ask to create it (`createBranch`).
 * - `protected`: the server refused a direct push to a protected branch (use writeMode pullRequest).
 * - `other`: everything else (invalid path, repository not found, hook declined, ...).
 */
export type GitErrorKind = 'auth' | 'network' | 'conflict' | 'branch-not-found' | 'protected' | 'other';

export class GitError extends Error {
  override readonly name = 'GitError';
  readonly kind: GitErrorKind;
  /** HTTP status, when the error came from an HTTP answer. */
  readonly status?: number;

  constructor(kind: GitErrorKind, message: string, opts: { status?: number } = {}) {
    super(message);
    this.kind = kind;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** An HTTP answer that is not 2xx, from our own smart-HTTP client. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The start of the answer's body (servers often explain themselves there). */
    readonly detail = '',
  ) {
    super(message);
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function statusKind(status: number): GitErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500 || status === 408 || status === 429) return 'network';
  return 'other';
}

function statusText(status: number): string {
  if (status === 401) return 'authentication failed (HTTP 401): check the credentials in the repository Secret';
  if (status === 403) return 'access denied (HTTP 403): the credentials may lack write access';
  if (status === 404) return 'repository not found (HTTP 404)';
  if (status >= 500) return `server error (HTTP ${status})`;
  return `HTTP ${status}`;
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && typeof e === 'object' && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/**
 * Turn anything thrown while talking to a remote into a GitError. `context` says what we were doing
 * ("fetch http://host/repo.git (branch main)"); `scrub` removes secrets from any text we keep.
 */
export function toGitError(err: unknown, context: string, scrub: (s: string) => string, cacheDir?: string): GitError {
  if (err instanceof GitError) return err;
  // The local disk, not the server: say which directory, or a full disk reads like a remote failure.
  const local = (err as { code?: unknown } | undefined)?.code;
  if (cacheDir !== undefined && (local === 'ENOSPC' || local === 'EDQUOT')) {
    const what = local === 'ENOSPC' ? 'no space left on device' : 'disk quota exceeded';
    return new GitError('other', scrub(`${context}: the Git cache directory ${cacheDir} is full (${local}: ${what}); free space there or give --git-cache-dir a larger volume`));
  }
  const e = err as { name?: string; code?: string; message?: string; data?: { statusCode?: number; response?: string } };
  let status: number | undefined;
  if (err instanceof HttpStatusError) status = err.status;
  else if (e?.code === 'HttpError' && typeof e.data?.statusCode === 'number') status = e.data.statusCode;
  if (status !== undefined) {
    const detail = err instanceof HttpStatusError && err.detail && status !== 401 ? `: ${err.detail}` : '';
    return new GitError(statusKind(status), scrub(`${context}: ${statusText(status)}${detail}`), { status });
  }
  const code = errorCode(err);
  if (code) return new GitError('network', scrub(`${context}: cannot reach the Git server (${code})`));
  if (e?.name === 'TimeoutError') return new GitError('network', scrub(`${context}: timed out`));
  if (e?.name === 'AbortError') return new GitError('other', scrub(`${context}: aborted`));
  if (e?.name === 'TypeError' && /fetch failed/.test(e.message ?? '')) {
    return new GitError('network', scrub(`${context}: cannot reach the Git server`));
  }
  return new GitError('other', scrub(`${context}: ${e?.message ?? String(err)}`));
}
