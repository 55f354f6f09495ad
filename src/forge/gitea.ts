// Gitea's REST API (/api/v1) with plain fetch: Gitea publishes no kept official TypeScript client
// (its SDK is Go), and the calls are few. Authorization is `token <token>` (or Basic); the token
// never appears in an error or a log line.
import { ForgeError, type Forge, type MergeOptions, type MergeOutcome, type OpenRequest, type PullRequest } from './types.js';

export interface GiteaOptions {
  /** e.g. http://gitea.example/api/v1 */
  apiUrl: string;
  owner: string;
  repo: string;
  auth: { token: string } | { username: string; password: string };
  timeoutMs?: number;
}

interface ApiPull {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  merged: boolean;
  title: string;
  body: string;
  mergeable: boolean;
  merge_commit_sha?: string | null;
  head: { ref: string; sha: string };
  base: { ref: string };
}

export class GiteaForge implements Forge {
  readonly name = 'gitea' as const;
  private readonly authorization: string;
  private readonly secrets: string[];
  private readonly base: string;

  constructor(private readonly o: GiteaOptions) {
    if ('token' in o.auth) {
      this.authorization = `token ${o.auth.token}`;
      this.secrets = [o.auth.token];
    } else {
      const basic = Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64');
      this.authorization = `Basic ${basic}`;
      this.secrets = [o.auth.password, basic];
    }
    this.base = `${o.apiUrl.replace(/\/+$/, '')}/repos/${encodeURIComponent(o.owner)}/${encodeURIComponent(o.repo)}`;
  }

  /** owner/repo and the API root from a clone URL (http(s)://host[/prefix]/owner/repo[.git]). */
  static fromCloneUrl(url: string, auth: GiteaOptions['auth'], apiUrl?: string): GiteaForge {
    const u = new URL(url);
    const parts = u.pathname.replace(/\.git$/, '').split('/').filter(Boolean);
    if (parts.length < 2) throw new ForgeError('invalid', `cannot tell owner and repository from ${u.origin}${u.pathname}`, { forge: 'gitea' });
    const repo = parts.pop()!;
    const owner = parts.pop()!;
    const prefix = parts.length ? `/${parts.join('/')}` : '';
    return new GiteaForge({ apiUrl: apiUrl ?? `${u.origin}${prefix}/api/v1`, owner, repo, auth });
  }

  private scrub(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (secret) out = out.split(secret).join('[REDACTED]');
    return out;
  }

  private async call<T>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<{ status: number; data: T }> {
    const what = `Gitea ${method} ${this.o.owner}/${this.o.repo}${path.split('?')[0]}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { Authorization: this.authorization, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ForgeError('network', this.scrub(`${what}: cannot reach the forge (${(err as Error).message})`), { forge: 'gitea' });
    }
    const text = await res.text();
    if (res.ok || okStatuses.includes(res.status)) return { status: res.status, data: (text ? safeJson(text) : undefined) as T };
    let said = text.slice(0, 300);
    const json = safeJson(text) as { message?: string; errors?: unknown } | undefined;
    if (json && typeof json.message === 'string') said = json.message;
    const retry = Number(res.headers.get('retry-after'));
    const retryAfterSeconds = Number.isFinite(retry) && retry > 0 ? retry : undefined;
    const kind =
      res.status === 429 || (res.status === 403 && res.headers.get('x-ratelimit-remaining') === '0')
        ? 'rate-limit'
        : res.status === 401 || res.status === 403
          ? 'auth'
          : res.status === 404
            ? 'not-found'
            : res.status === 422 || res.status === 400
              ? 'invalid'
              : res.status >= 500
                ? 'network'
                : 'other';
    throw new ForgeError(kind, this.scrub(`${what}: HTTP ${res.status}: ${said}`), { forge: 'gitea', status: res.status, retryAfterSeconds });
  }

  private pr(p: ApiPull): PullRequest {
    return {
      number: p.number,
      url: p.html_url,
      state: p.merged ? 'merged' : p.state === 'open' ? 'open' : 'closed',
      title: p.title,
      body: p.body ?? '',
      head: p.head.ref,
      base: p.base.ref,
      headSha: p.head.sha,
      mergeable: p.mergeable,
      ...(p.merge_commit_sha ? { mergeSha: p.merge_commit_sha } : {}),
    };
  }

  async find(head: string, base: string): Promise<PullRequest | undefined> {
    // Newest first; Kure's branch has at most a few PRs over its life (one open at a time).
    for (let page = 1; page <= 5; page++) {
      const { data } = await this.call<ApiPull[]>('GET', `/pulls?state=all&sort=newest&limit=50&page=${page}`);
      const hit = data.filter((p) => p.head.ref === head && p.base.ref === base).sort((a, b) => b.number - a.number)[0];
      if (hit) return this.pr(hit);
      if (data.length < 50) return undefined;
    }
    return undefined;
  }

  async open(req: OpenRequest): Promise<PullRequest> {
    const labels = req.labels?.length ? await this.labelIds(req.labels) : [];
    const { data } = await this.call<ApiPull>('POST', '/pulls', { head: req.head, base: req.base, title: req.title, body: req.body, ...(labels.length ? { labels } : {}) });
    if (req.reviewers?.length) await this.call('POST', `/pulls/${data.number}/requested_reviewers`, { reviewers: req.reviewers });
    return this.pr(data);
  }

  private async labelIds(names: readonly string[]): Promise<number[]> {
    const { data } = await this.call<{ id: number; name: string }[]>('GET', '/labels?limit=100');
    const missing = names.filter((n) => !data.some((l) => l.name === n));
    if (missing.length) throw new ForgeError('invalid', `Gitea ${this.o.owner}/${this.o.repo}: label(s) ${missing.join(', ')} do not exist (spec.repository.pullRequest.labels)`, { forge: 'gitea' });
    return names.map((n) => data.find((l) => l.name === n)!.id);
  }

  async update(number: number, change: { title?: string; body?: string }): Promise<PullRequest> {
    const { data } = await this.call<ApiPull>('PATCH', `/pulls/${number}`, change);
    return this.pr(data);
  }

  async get(number: number): Promise<PullRequest> {
    return this.pr((await this.call<ApiPull>('GET', `/pulls/${number}`)).data);
  }

  async checks(sha: string): Promise<'success' | 'pending' | 'failure' | 'none'> {
    const { data } = await this.call<{ state: string; total_count: number }>('GET', `/commits/${sha}/status`);
    if (!data || data.total_count === 0) return 'none';
    if (data.state === 'success') return 'success';
    if (data.state === 'pending' || data.state === '') return 'pending';
    return 'failure';
  }

  async merge(number: number, opts: MergeOptions): Promise<MergeOutcome> {
    const { status, data } = await this.call<{ message?: string } | undefined>(
      'POST',
      `/pulls/${number}/merge`,
      { Do: opts.method, head_commit_id: opts.sha, delete_branch_after_merge: opts.deleteBranch ?? false },
      [405, 409],
    );
    if (status === 405) return { merged: false, reason: this.scrub(data?.message ?? 'not mergeable yet (HTTP 405)') };
    if (status === 409) return { merged: false, conflict: true, reason: this.scrub(data?.message ?? 'conflict or head moved (HTTP 409)') };
    return { merged: true };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
