// The one HTTP call of the GitHub and GitLab clients (plain fetch): JSON in and out, a timeout, the
// forge's own message on failure, rate limits with the wait, and every credential scrubbed from
// what is thrown. Gitea keeps its own copy (gitea.ts), which came first.
import { ForgeError, type ForgeErrorKind } from './types.js';

export interface HttpOptions {
  forge: 'github' | 'gitlab';
  /** Shown in messages, e.g. "GitHub" and "org/fleet". */
  label: string;
  headers: Record<string, string>;
  /** Every value to remove from messages (tokens, passwords, their Basic encodings). */
  secrets: readonly string[];
  timeoutMs?: number;
  /** For rate-limit resets given as epoch seconds; tests inject it. */
  now?: () => number;
  /** The forge's message from a failed answer's JSON. */
  message: (json: unknown) => string | undefined;
}

export class ForgeHttp {
  constructor(private readonly o: HttpOptions) {}

  scrub(s: string): string {
    let out = s;
    for (const secret of this.o.secrets) if (secret) out = out.split(secret).join('[REDACTED]');
    return out;
  }

  /** `url` absolute; `okStatuses`: failures the caller reads itself (e.g. a refused merge). */
  async call<T>(method: string, url: string, body?: unknown, okStatuses: readonly number[] = []): Promise<{ status: number; data: T }> {
    const u = new URL(url);
    const what = `${this.o.label} ${method} ${u.pathname}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...this.o.headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ForgeError('network', this.scrub(`${what}: cannot reach the forge (${(err as Error).message})`), { forge: this.o.forge });
    }
    const text = await res.text();
    if (res.ok || okStatuses.includes(res.status)) return { status: res.status, data: (text ? safeJson(text) : undefined) as T };
    const json = safeJson(text);
    const said = (json !== undefined ? this.o.message(json) : undefined) ?? (text.slice(0, 300) || res.statusText);
    const h = (name: string) => res.headers.get(name);
    const retryAfter = Number(h('retry-after'));
    const remaining = h('x-ratelimit-remaining') ?? h('ratelimit-remaining');
    const reset = Number(h('x-ratelimit-reset') ?? h('ratelimit-reset'));
    // GitHub's secondary limits are a 403 that may come without either header: its message says so.
    const limited = res.status === 429 || (res.status === 403 && (remaining === '0' || h('retry-after') !== null || /rate limit/i.test(said)));
    let retryAfterSeconds: number | undefined;
    if (limited) {
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterSeconds = Math.ceil(retryAfter);
      else if (remaining === '0' && Number.isFinite(reset) && reset > 0) retryAfterSeconds = Math.max(1, Math.ceil(reset - (this.o.now ?? Date.now)() / 1000));
      else retryAfterSeconds = 60;
    }
    const kind: ForgeErrorKind = limited
      ? 'rate-limit'
      : res.status === 401 || res.status === 403
        ? 'auth'
        : res.status === 404
          ? 'not-found'
          : res.status === 400 || res.status === 422
            ? 'invalid'
            : res.status >= 500
              ? 'network'
              : 'other';
    throw new ForgeError(kind, this.scrub(`${what}: HTTP ${res.status}: ${said}`), { forge: this.o.forge, status: res.status, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
  }
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** owner path segments and repository name from a clone URL (https://host[/prefix]/a/b/repo[.git]). */
export function repoPathOf(url: string, forge: 'github' | 'gitlab'): { origin: string; segments: string[] } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ForgeError('invalid', `spec.repository.url must be an http(s) URL for the ${forge} API (an SSH URL names no API)`, { forge });
  }
  const segments = u.pathname.replace(/\.git$/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (segments.length < 2) throw new ForgeError('invalid', `cannot tell owner and repository from ${u.origin}${u.pathname} (spec.repository.url)`, { forge });
  return { origin: u.origin, segments };
}
