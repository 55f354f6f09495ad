// writeMode pullRequest: one branch of Kure's own per cluster, rebuilt from the base branch, and
// one pull request for it. The base branch is never written; Kure's branch is the only one it
// rewrites (a compare-and-swap from the head it saw, so a concurrent writer is never overwritten
// blindly). What each state means: docs/protected-branches.md.
import type { FileTree } from '../model/types.js';
import type { CommitMessage, GitSink, GitTarget, RebuildResult } from '../git/sink.js';
import type { Forge, MergeMethod, PullRequest } from './types.js';

export type PullRequestPhase =
  /** The base branch holds the desired tree (after a merge, or nothing to change): Ready at `baseSha`. */
  | 'Merged'
  /** A pull request waits for review, checks or a person's merge. */
  | 'PullRequestOpen'
  /** The forge refused the merge because of a conflict or a moved head; rebuilt on the next sync. */
  | 'Conflict'
  /** Kure's pull request was closed without merge; not re-opened until the desired tree changes. */
  | 'Closed';

export interface PullRequestSpec {
  forge: Forge;
  /** The branch the pull request merges into. */
  baseBranch: string;
  labels?: readonly string[];
  reviewers?: readonly string[];
  autoMerge?: { method?: MergeMethod };
}

export interface PullRequestSyncResult {
  phase: PullRequestPhase;
  /** One line for a condition message. */
  message: string;
  pullRequest?: { number: number; url: string; state: PullRequest['state'] };
  /** The base branch's head: when `phase` is Merged, the commit the cluster is Ready at. */
  baseSha: string;
  /** Kure's branch head ('' when it does not exist). */
  branchSha: string;
  /** What the sink did (a commit on Kure's branch when `changed`). */
  sync: RebuildResult;
}

/** Kure's branch for a cluster: `<prefix>/<namespace>/<name>` (prefix default `kure`). */
export function pullRequestBranch(namespace: string, cluster: string, prefix = 'kure'): string {
  return `${prefix.replace(/\/+$/, '')}/${namespace}/${cluster}`;
}

const MARKER = '<!-- kure:pull-request -->';

function describe(message: string, target: GitTarget, base: string): { title: string; body: string } {
  const [subject, ...rest] = message.replace(/\n+$/, '').split('\n');
  const body = [
    MARKER,
    `Kure renders into \`${target.path}\` of \`${base}\` through this pull request (branch \`${target.branch}\`, rebuilt from \`${base}\` on every change; do not push to it).`,
    '',
    '```',
    message.replace(/\n+$/, ''),
    '```',
  ].join('\n');
  void rest;
  return { title: (subject ?? 'kure: render').slice(0, 250), body };
}

/**
 * One pull-request sync: rebuild Kure's branch (`target.branch`) from `spec.baseBranch` so that
 * `target.path` holds `tree`, then open the one pull request or update the open one, merge it when
 * `autoMerge` is set and the forge accepts (required checks and approvals met), and say where it is.
 */
export async function syncPullRequest(
  sink: Pick<GitSink, 'rebuild'>,
  target: GitTarget,
  tree: FileTree,
  message: CommitMessage,
  spec: PullRequestSpec,
  signal?: AbortSignal,
): Promise<PullRequestSyncResult> {
  const { forge, baseBranch } = spec;
  let pr = await forge.find(target.branch, baseBranch);
  // Kure's branch is always the base's head plus one commit (so its PR cannot conflict: a person's
  // change on the base is kept, Kure's path is as desired). A merged PR's branch is history: the
  // next change starts from the base again. After a PR closed without merge, only a change of the
  // desired tree makes a new one (not the base moving).
  const rebase = pr?.state === 'merged' ? 'force' : pr?.state === 'closed' ? 'content' : 'always';
  const sync = await sink.rebuild(target, tree, message, { baseBranch, rebase }, signal);
  const ref = (p: PullRequest) => ({ number: p.number, url: p.url, state: p.state });
  const out = (phase: PullRequestPhase, msg: string, p = pr): PullRequestSyncResult => ({
    phase,
    message: msg,
    ...(p ? { pullRequest: ref(p) } : {}),
    baseSha: sync.baseSha,
    branchSha: sync.branchSha,
    sync,
  });

  if (sync.inBase) {
    return out('Merged', pr?.state === 'merged' ? `merged in pull request #${pr.number} (${pr.url}); ${baseBranch} is at ${sync.baseSha.slice(0, 12)}` : `${baseBranch} already holds the desired tree at ${sync.baseSha.slice(0, 12)}`);
  }
  if (pr?.state === 'closed' && !sync.changed) {
    return out('Closed', `pull request #${pr.number} (${pr.url}) was closed without merge; Kure opens a new one when the desired tree changes`);
  }
  const text = sync.message ?? (pr?.state === 'open' ? undefined : typeof message === 'string' ? message : message(sync.changedPaths, []));
  if (pr?.state === 'open') {
    if (sync.changed && text) {
      const d = describe(text, target, baseBranch);
      pr = await forge.update(pr.number, { title: d.title, body: d.body });
    }
  } else {
    const d = describe(text ?? 'kure: render', target, baseBranch);
    pr = await forge.open({ head: target.branch, base: baseBranch, title: d.title, body: d.body, labels: spec.labels, reviewers: spec.reviewers });
  }

  if (spec.autoMerge) {
    const merged = await forge.merge(pr.number, { method: spec.autoMerge.method ?? 'merge', sha: sync.branchSha, deleteBranch: true });
    if (merged.merged) {
      pr = await forge.get(pr.number);
      return {
        ...out('Merged', `merged pull request #${pr.number} (${pr.url})${pr.mergeSha ? ` as ${pr.mergeSha.slice(0, 12)}` : ''}`, pr),
        baseSha: pr.mergeSha ?? sync.baseSha,
      };
    }
    if (merged.conflict) return out('Conflict', `pull request #${pr.number} (${pr.url}) cannot be merged: ${merged.reason}; Kure rebuilds it from ${baseBranch}`, pr);
    return out('PullRequestOpen', `pull request #${pr.number} (${pr.url}) waits: ${merged.reason}`, pr);
  }
  return out('PullRequestOpen', `pull request #${pr.number} (${pr.url}) waits for review and merge`, pr);
}
