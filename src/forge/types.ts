// One small interface per forge (Gitea, GitHub, GitLab): what pull-request write mode needs, no more.

export type PullRequestState = 'open' | 'merged' | 'closed';
export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface PullRequest {
  number: number;
  /** The PR's web page. */
  url: string;
  state: PullRequestState;
  title: string;
  body: string;
  head: string;
  base: string;
  /** The head commit the forge knows. */
  headSha: string;
  /** false: the forge reports it cannot be merged (conflict, or still checking); undefined: not said. */
  mergeable?: boolean;
  /** When merged: the commit on the base branch. */
  mergeSha?: string;
}

export interface OpenRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  labels?: readonly string[];
  reviewers?: readonly string[];
}

export interface MergeOutcome {
  merged: boolean;
  /** The forge's reason when it refused (required checks or approvals missing, conflict, head moved). */
  reason?: string;
  /** The forge refused because of a conflict or because the head moved (409). */
  conflict?: boolean;
}

export interface MergeOptions {
  method: MergeMethod;
  sha: string;
  deleteBranch?: boolean;
  auto?: boolean;
}

export interface Forge {
  readonly name: 'gitea' | 'github' | 'gitlab';
  /** The most recent PR from `head` into `base`, in any state; undefined when there is none. */
  find(head: string, base: string): Promise<PullRequest | undefined>;
  open(req: OpenRequest): Promise<PullRequest>;
  update(number: number, change: { title?: string; body?: string }): Promise<PullRequest>;
  /** The PR as the forge sees it now. */
  get(number: number): Promise<PullRequest>;
  /** Combined commit status of `sha` (what required checks report). */
  checks(sha: string): Promise<'success' | 'pending' | 'failure' | 'none'>;
  /**
   * Merge, only if `sha` is still the head; the forge enforces required checks and approvals.
   * `auto`: ask the forge to merge by itself once the pipeline succeeds (GitLab's
   * merge_when_pipeline_succeeds); the others ignore it. syncPullRequest does not ask: it merges
   * when the forge accepts, on each look.
   */
  merge(number: number, opts: MergeOptions): Promise<MergeOutcome>;
}

export type ForgeErrorKind = 'auth' | 'rate-limit' | 'not-found' | 'invalid' | 'network' | 'other';

/** A forge API failure, with the forge's own message (credentials scrubbed). */
export class ForgeError extends Error {
  override readonly name = 'ForgeError';
  constructor(
    readonly kind: ForgeErrorKind,
    message: string,
    readonly opts: { forge: string; status?: number; retryAfterSeconds?: number } = { forge: 'forge' },
  ) {
    super(message);
  }
  get status(): number | undefined {
    return this.opts.status;
  }
  get retryAfterSeconds(): number | undefined {
    return this.opts.retryAfterSeconds;
  }
}
