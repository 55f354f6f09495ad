// GitLab's REST API (/api/v4) with plain fetch: merge requests are GitLab's pull requests. Not
// @gitbeaker/rest: 4.4 MB installed for eight calls, and its errors would need unwrapping to reach
// GitLab's message and the rate-limit headers; see README.md. The token (personal, project or
// group access token) goes in `PRIVATE-TOKEN`; with username/password the password is taken as
// that token (GitLab's API has no Basic auth; Git over HTTPS takes a token as the password).
import { ForgeHttp, repoPathOf } from './http.js';
import { ForgeError, type Forge, type MergeOptions, type MergeOutcome, type OpenRequest, type PullRequest } from './types.js';

export interface GitLabOptions {
  /** e.g. https://gitlab.com/api/v4 */
  apiUrl: string;
  /** The project's full path, e.g. group/subgroup/fleet. */
  project: string;
  auth: { token: string } | { username: string; password: string };
  timeoutMs?: number;
  now?: () => number;
}

interface ApiMergeRequest {
  iid: number;
  web_url: string;
  state: 'opened' | 'closed' | 'locked' | 'merged';
  title: string;
  description: string | null;
  source_branch: string;
  target_branch: string;
  sha: string;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
  has_conflicts?: boolean;
  /** GitLab ≥ 15.6: mergeable, conflict, ci_must_pass, ci_still_running, not_approved, checking, ... */
  detailed_merge_status?: string;
  merge_status?: string;
  merge_when_pipeline_succeeds?: boolean;
}

export class GitLabForge implements Forge {
  readonly name = 'gitlab' as const;
  private readonly http: ForgeHttp;
  private readonly api: string;
  private readonly base: string;

  constructor(private readonly o: GitLabOptions) {
    const token = 'token' in o.auth ? o.auth.token : o.auth.password;
    this.api = o.apiUrl.replace(/\/+$/, '');
    this.base = `${this.api}/projects/${encodeURIComponent(o.project)}`;
    this.http = new ForgeHttp({
      forge: 'gitlab',
      label: `GitLab ${o.project}:`,
      headers: { 'PRIVATE-TOKEN': token, Accept: 'application/json', 'User-Agent': 'kure' },
      secrets: [token],
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.now ? { now: o.now } : {}),
      message: gitlabMessage,
    });
  }

  /** The project path from the clone URL (https://gitlab.example/group/sub/fleet.git); apiUrl default <origin>/api/v4. */
  static fromCloneUrl(url: string, auth: GitLabOptions['auth'], apiUrl?: string): GitLabForge {
    const { origin, segments } = repoPathOf(url, 'gitlab');
    // A GitLab under a relative URL root (https://host/gitlab/group/repo) needs apiUrl.
    return new GitLabForge({ apiUrl: apiUrl ?? `${origin}/api/v4`, project: segments.join('/'), auth });
  }

  private call<T>(method: string, path: string, body?: unknown, ok?: number[]) {
    return this.http.call<T>(method, `${this.base}${path}`, body, ok);
  }

  private pr(m: ApiMergeRequest): PullRequest {
    const merged = m.state === 'merged';
    const status = m.detailed_merge_status ?? m.merge_status;
    const mergeable = m.has_conflicts || status === 'conflict' || status === 'cannot_be_merged' ? false : status === 'mergeable' || status === 'can_be_merged' ? true : undefined;
    // A fast-forward merge has no merge commit: the head itself is then on the target branch.
    const mergeSha = merged ? (m.merge_commit_sha ?? m.squash_commit_sha ?? m.sha) : undefined;
    return {
      number: m.iid,
      url: m.web_url,
      state: merged ? 'merged' : m.state === 'opened' ? 'open' : 'closed',
      title: m.title,
      body: m.description ?? '',
      head: m.source_branch,
      base: m.target_branch,
      headSha: m.sha,
      ...(mergeable !== undefined ? { mergeable } : {}),
      ...(mergeSha ? { mergeSha } : {}),
    };
  }

  async find(head: string, base: string): Promise<PullRequest | undefined> {
    const q = new URLSearchParams({ source_branch: head, target_branch: base, state: 'all', order_by: 'created_at', sort: 'desc', per_page: '20' });
    const { data } = await this.call<ApiMergeRequest[]>('GET', `/merge_requests?${q}`);
    const hit = (data ?? []).filter((m) => m.source_branch === head && m.target_branch === base).sort((a, b) => b.iid - a.iid)[0];
    return hit ? this.pr(hit) : undefined;
  }

  async open(req: OpenRequest): Promise<PullRequest> {
    const reviewerIds = req.reviewers?.length ? await this.userIds(req.reviewers) : [];
    const { data } = await this.call<ApiMergeRequest>('POST', '/merge_requests', {
      source_branch: req.head,
      target_branch: req.base,
      title: req.title,
      description: req.body,
      ...(req.labels?.length ? { labels: req.labels.join(',') } : {}),
      ...(reviewerIds.length ? { reviewer_ids: reviewerIds } : {}),
    });
    return this.pr(data);
  }

  private async userIds(usernames: readonly string[]): Promise<number[]> {
    const ids: number[] = [];
    for (const username of usernames) {
      const { data } = await this.http.call<{ id: number; username: string }[]>('GET', `${this.api}/users?${new URLSearchParams({ username })}`);
      const user = (data ?? []).find((u) => u.username.toLowerCase() === username.toLowerCase());
      if (!user) throw new ForgeError('invalid', `GitLab ${this.o.project}: reviewer ${username} is not a GitLab user (spec.repository.pullRequest.reviewers)`, { forge: 'gitlab' });
      ids.push(user.id);
    }
    return ids;
  }

  async update(number: number, change: { title?: string; body?: string }): Promise<PullRequest> {
    const body = { ...(change.title !== undefined ? { title: change.title } : {}), ...(change.body !== undefined ? { description: change.body } : {}) };
    return this.pr((await this.call<ApiMergeRequest>('PUT', `/merge_requests/${number}`, body)).data);
  }

  async get(number: number): Promise<PullRequest> {
    return this.pr((await this.call<ApiMergeRequest>('GET', `/merge_requests/${number}`)).data);
  }

  /**
   * The latest pipeline of `sha` and the commit's statuses (external CI posting to the commit
   * status API; pipeline jobs show there too). Jobs allowed to fail do not fail it. Approvals are
   * not a status of a commit on GitLab: a merge waiting for them is refused and `merge` says why.
   */
  async checks(sha: string): Promise<'success' | 'pending' | 'failure' | 'none'> {
    const [pipelines, statuses] = await Promise.all([
      this.call<{ id: number; status: string }[]>('GET', `/pipelines?${new URLSearchParams({ sha, order_by: 'id', sort: 'desc', per_page: '1' })}`),
      this.call<{ status: string; allow_failure?: boolean }[]>('GET', `/repository/commits/${encodeURIComponent(sha)}/statuses?per_page=100`),
    ]);
    const states = [...(pipelines.data ?? []).slice(0, 1).map((p) => p.status), ...(statuses.data ?? []).filter((s) => !s.allow_failure).map((s) => s.status)];
    if (states.length === 0) return 'none';
    if (states.some((s) => s === 'failed' || s === 'canceled')) return 'failure';
    if (states.some((s) => s !== 'success' && s !== 'skipped')) return 'pending';
    return 'success';
  }

  /**
   * PUT merge with `sha` (GitLab refuses with 409 when the head moved). `squash` squashes; `merge`
   * and `rebase` both use the project's merge method (merge commit, semi-linear or fast-forward:
   * a project setting on GitLab). `auto` sets merge_when_pipeline_succeeds: GitLab then merges
   * by itself once the pipeline passes (answered as not merged yet).
   */
  async merge(number: number, opts: MergeOptions): Promise<MergeOutcome> {
    const body = {
      sha: opts.sha,
      squash: opts.method === 'squash',
      ...(opts.deleteBranch ? { should_remove_source_branch: true } : {}),
      ...(opts.auto ? { merge_when_pipeline_succeeds: true } : {}),
    };
    // 405: not mergeable now (draft, pipeline, approvals, closed); 406: conflict; 409: head moved; 422: cannot merge.
    const { status, data } = await this.call<ApiMergeRequest & { message?: unknown }>('PUT', `/merge_requests/${number}/merge`, body, [405, 406, 409, 422]);
    if (status === 406 || status === 409) return { merged: false, conflict: true, reason: this.http.scrub(gitlabMessage(data) ?? `HTTP ${status}`) };
    if (status === 405 || status === 422) {
      // GitLab's answer is a bare "405 Method Not Allowed": the MR's detailed_merge_status says why.
      const said = gitlabMessage(data) ?? `HTTP ${status}`;
      let why = '';
      try {
        const { data: mr } = await this.call<ApiMergeRequest>('GET', `/merge_requests/${number}`);
        const d = mr.detailed_merge_status ?? mr.merge_status;
        if (d) why = ` (detailed_merge_status ${d})`;
        if (d === 'conflict' || mr.has_conflicts) return { merged: false, conflict: true, reason: this.http.scrub(`${said}${why}`) };
      } catch {
        // the reason stays GitLab's answer
      }
      return { merged: false, reason: this.http.scrub(`${said}${why}`) };
    }
    if (data?.state === 'merged') return { merged: true };
    if (data?.merge_when_pipeline_succeeds) return { merged: false, reason: 'set to merge when the pipeline succeeds' };
    return { merged: false, reason: `merge request is ${data?.state ?? 'not merged'}` };
  }
}

/** GitLab's message: `{ message: "..." }`, `{ message: { field: ["..."] } }`, `{ message: ["..."] }` or `{ error: "..." }`. */
export function gitlabMessage(json: unknown): string | undefined {
  const j = json as { message?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (!j || typeof j !== 'object') return undefined;
  const m = j.message;
  if (typeof m === 'string') return m;
  if (Array.isArray(m)) return m.map(String).join('; ');
  if (m && typeof m === 'object')
    return Object.entries(m as Record<string, unknown>)
      .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
      .join('; ');
  if (typeof j.error === 'string') return typeof j.error_description === 'string' ? `${j.error}: ${j.error_description}` : j.error;
  return undefined;
}
