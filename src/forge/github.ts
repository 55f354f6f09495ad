// GitHub's REST API (api.github.com, or GitHub Enterprise Server's <origin>/api/v3) with plain
// fetch. Not @octokit/core: installed with its dependencies it is 6.5 MB (5.2 MB of that is
// @octokit/openapi-types), over the budget for nine calls; see README.md. The token (a personal
// access token, or a GitHub App installation token from github-app.ts) goes in
// `Authorization: Bearer`; username/password as Basic (the password being a token). Credentials
// never appear in an error.
import { ForgeHttp, repoPathOf } from './http.js';
import type { Forge, MergeOptions, MergeOutcome, OpenRequest, PullRequest } from './types.js';

export interface GitHubOptions {
  /** Default https://api.github.com; GitHub Enterprise Server: https://<host>/api/v3. */
  apiUrl?: string;
  owner: string;
  repo: string;
  auth: { token: string } | { username: string; password: string };
  timeoutMs?: number;
  now?: () => number;
}

interface ApiPull {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  merged?: boolean;
  merged_at?: string | null;
  title: string;
  body: string | null;
  mergeable?: boolean | null;
  merge_commit_sha?: string | null;
  head: { ref: string; sha: string; repo?: { full_name?: string } | null };
  base: { ref: string };
}

interface ApiError {
  message?: string;
  errors?: ({ message?: string; code?: string; field?: string; resource?: string } | string)[];
}

export const GITHUB_API = 'https://api.github.com';

/** The GitHub API root for a clone URL: api.github.com for github.com, else GitHub Enterprise Server's /api/v3. */
export function githubApiUrlFor(cloneUrl: string): string {
  const { origin } = repoPathOf(cloneUrl, 'github');
  return /^https?:\/\/(www\.)?github\.com$/i.test(origin) ? GITHUB_API : `${origin}/api/v3`;
}

export class GitHubForge implements Forge {
  readonly name = 'github' as const;
  private readonly http: ForgeHttp;
  private readonly base: string;

  constructor(private readonly o: GitHubOptions) {
    let authorization: string;
    let secrets: string[];
    if ('token' in o.auth) {
      authorization = `Bearer ${o.auth.token}`;
      secrets = [o.auth.token];
    } else if (o.auth.username === 'x-access-token') {
      // A GitHub App installation token as Git credentials (credentialsFromSecret): Bearer for the API.
      authorization = `Bearer ${o.auth.password}`;
      secrets = [o.auth.password];
    } else {
      const basic = Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64');
      authorization = `Basic ${basic}`;
      secrets = [o.auth.password, basic];
    }
    this.base = `${(o.apiUrl ?? GITHUB_API).replace(/\/+$/, '')}/repos/${encodeURIComponent(o.owner)}/${encodeURIComponent(o.repo)}`;
    this.http = new ForgeHttp({
      forge: 'github',
      label: `GitHub ${o.owner}/${o.repo}:`,
      headers: { Authorization: authorization, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'kure' },
      secrets,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.now ? { now: o.now } : {}),
      message: githubMessage,
    });
  }

  /** owner/repo from the clone URL (https://github.com/owner/repo.git); apiUrl from the spec or derived. */
  static fromCloneUrl(url: string, auth: GitHubOptions['auth'], apiUrl?: string): GitHubForge {
    const { segments } = repoPathOf(url, 'github');
    const repo = segments[segments.length - 1]!;
    const owner = segments[segments.length - 2]!;
    return new GitHubForge({ apiUrl: apiUrl ?? githubApiUrlFor(url), owner, repo, auth });
  }

  private call<T>(method: string, path: string, body?: unknown, ok?: number[]) {
    return this.http.call<T>(method, `${this.base}${path}`, body, ok);
  }

  private pr(p: ApiPull): PullRequest {
    const merged = p.merged === true || !!p.merged_at;
    return {
      number: p.number,
      url: p.html_url,
      state: merged ? 'merged' : p.state === 'open' ? 'open' : 'closed',
      title: p.title,
      body: p.body ?? '',
      head: p.head.ref,
      base: p.base.ref,
      headSha: p.head.sha,
      // null: GitHub is still computing it (not said).
      ...(typeof p.mergeable === 'boolean' ? { mergeable: p.mergeable } : {}),
      // On an open PR merge_commit_sha is GitHub's test merge, not a commit on the base.
      ...(merged && p.merge_commit_sha ? { mergeSha: p.merge_commit_sha } : {}),
    };
  }

  async find(head: string, base: string): Promise<PullRequest | undefined> {
    // `head` filters by "owner:branch" (Kure's branch is in the same repository).
    const q = new URLSearchParams({ head: `${this.o.owner}:${head}`, base, state: 'all', sort: 'created', direction: 'desc', per_page: '30' });
    const { data } = await this.call<ApiPull[]>('GET', `/pulls?${q}`);
    const hit = (data ?? []).filter((p) => p.head.ref === head && p.base.ref === base).sort((a, b) => b.number - a.number)[0];
    return hit ? this.pr(hit) : undefined;
  }

  async open(req: OpenRequest): Promise<PullRequest> {
    const { data } = await this.call<ApiPull>('POST', '/pulls', { title: req.title, head: req.head, base: req.base, body: req.body });
    // Labels live on the issue side of a PR; a label that does not exist is created by GitHub.
    if (req.labels?.length) await this.call('POST', `/issues/${data.number}/labels`, { labels: req.labels });
    if (req.reviewers?.length) {
      // "org/team" is a team (its slug), anything else a user login.
      const teams = req.reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1));
      const users = req.reviewers.filter((r) => !r.includes('/'));
      await this.call('POST', `/pulls/${data.number}/requested_reviewers`, { ...(users.length ? { reviewers: users } : {}), ...(teams.length ? { team_reviewers: teams } : {}) });
    }
    return this.pr(data);
  }

  async update(number: number, change: { title?: string; body?: string }): Promise<PullRequest> {
    return this.pr((await this.call<ApiPull>('PATCH', `/pulls/${number}`, change)).data);
  }

  async get(number: number): Promise<PullRequest> {
    return this.pr((await this.call<ApiPull>('GET', `/pulls/${number}`)).data);
  }

  /**
   * What branch protection's required checks see: the combined commit status (statuses API) and
   * the check runs (Checks API, e.g. GitHub Actions) of `sha`. Any failure fails; anything not
   * finished is pending; neutral and skipped check runs pass (as GitHub counts them).
   */
  async checks(sha: string): Promise<'success' | 'pending' | 'failure' | 'none'> {
    const s = encodeURIComponent(sha);
    const [status, checkRuns] = await Promise.all([this.call<{ state: string; total_count: number }>('GET', `/commits/${s}/status`), this.checkRuns(s)]);
    const statuses = status.data?.total_count ?? 0;
    if (statuses === 0 && checkRuns.length === 0) return 'none';
    const failed = ['failure', 'cancelled', 'timed_out', 'action_required', 'startup_failure', 'stale'];
    if ((statuses > 0 && (status.data.state === 'failure' || status.data.state === 'error')) || checkRuns.some((r) => r.status === 'completed' && failed.includes(r.conclusion ?? ''))) return 'failure';
    if ((statuses > 0 && status.data.state !== 'success') || checkRuns.some((r) => r.status !== 'completed')) return 'pending';
    return 'success';
  }

  /** All check runs of the commit (100 a page, at most 10 pages). */
  private async checkRuns(sha: string): Promise<{ status: string; conclusion: string | null }[]> {
    const all: { status: string; conclusion: string | null }[] = [];
    for (let page = 1; page <= 10; page++) {
      const { data } = await this.call<{ total_count: number; check_runs: { status: string; conclusion: string | null }[] }>('GET', `/commits/${sha}/check-runs?per_page=100${page > 1 ? `&page=${page}` : ''}`);
      const runs = data?.check_runs ?? [];
      all.push(...runs);
      if (runs.length < 100 || all.length >= (data?.total_count ?? 0)) break;
    }
    return all;
  }

  async merge(number: number, opts: MergeOptions): Promise<MergeOutcome> {
    // 405: not mergeable (required checks, reviews, conflict); 409: the head moved from `sha`.
    const { status, data } = await this.call<{ merged?: boolean; sha?: string; message?: string } | undefined>('PUT', `/pulls/${number}/merge`, { merge_method: opts.method, sha: opts.sha }, [405, 409]);
    if (status === 405) return { merged: false, reason: this.http.scrub(data?.message ?? 'not mergeable yet (HTTP 405)') };
    if (status === 409) return { merged: false, conflict: true, reason: this.http.scrub(data?.message ?? 'head branch was modified (HTTP 409)') };
    if (data?.merged === false) return { merged: false, reason: this.http.scrub(data.message ?? 'not merged') };
    if (opts.deleteBranch) {
      const pr = await this.get(number);
      // Already gone when the repository deletes head branches itself (422 "Reference does not exist").
      await this.call('DELETE', `/git/refs/heads/${pr.head.split('/').map(encodeURIComponent).join('/')}`, undefined, [404, 422]);
    }
    return { merged: true };
  }
}

/** GitHub's message, with the details of a 422 ("Validation Failed: A pull request already exists for ..."). */
export function githubMessage(json: unknown): string | undefined {
  const j = json as ApiError | undefined;
  if (!j || typeof j.message !== 'string') return undefined;
  const details = (j.errors ?? [])
    .map((e) => (typeof e === 'string' ? e : (e.message ?? [e.resource, e.field, e.code].filter(Boolean).join(' '))))
    .filter(Boolean);
  return details.length ? `${j.message}: ${details.join('; ')}` : j.message;
}

