// From a KureCluster's spec.repository to what syncPullRequest needs: the controller calls
// `pullRequestPlan` once per reconcile (cheap; no I/O) when writeMode is pullRequest.
import type { KureCluster } from '../api/schema.js';
import type { CommitMessage, GitSink, GitTarget } from '../git/sink.js';
import type { FileTree } from '../model/types.js';
import { forgeFor, type ForgeCredentials } from './factory.js';
import { pullRequestBranch, syncPullRequest, type PullRequestSpec, type PullRequestSyncResult } from './pull-request.js';

type RepositorySpec = KureCluster['spec']['repository'];

export function writeModeOf(repository: RepositorySpec | undefined): 'push' | 'pullRequest' {
  return repository?.writeMode === 'pullRequest' ? 'pullRequest' : 'push';
}

/**
 * `target`: the push-mode GitTarget the controller built (url, branch = the engine's branch, path,
 * auth, author). Returns the target of Kure's own branch and the PullRequestSpec. Throws a
 * ForgeError (kind `invalid` or `auth`) naming the field when the spec cannot work.
 */
export function pullRequestPlan(
  cluster: { namespace: string; name: string },
  repository: RepositorySpec,
  target: GitTarget,
  creds: ForgeCredentials,
): { target: GitTarget; spec: PullRequestSpec } {
  const pr = repository.pullRequest;
  if (!pr) throw new Error('spec.repository.pullRequest is required with writeMode pullRequest');
  const baseBranch = pr.baseBranch ?? target.branch;
  const branch = pullRequestBranch(cluster.namespace, cluster.name, pr.branchPrefix);
  const forge = forgeFor(pr.forge, target.url, creds, pr.apiUrl);
  return {
    target: { ...target, branch, createBranch: false },
    spec: {
      forge,
      baseBranch,
      ...(pr.labels ? { labels: pr.labels } : {}),
      ...(pr.reviewers ? { reviewers: pr.reviewers } : {}),
      ...(pr.autoMerge ? { autoMerge: { method: pr.autoMerge.method ?? 'merge' } } : {}),
    },
  };
}

/**
 * The one call for the controller in writeMode pullRequest: `pullRequestPlan` + `syncPullRequest`.
 * `target` is the push-mode target (as for GitSink.sync), `creds` the repository Secret's token or
 * username/password. Throws GitError (push/fetch: kinds as for sync) or ForgeError (the API).
 */
export async function syncClusterPullRequest(
  sink: Pick<GitSink, 'rebuild'>,
  cluster: { namespace: string; name: string },
  repository: RepositorySpec,
  target: GitTarget,
  creds: ForgeCredentials,
  tree: FileTree,
  message: CommitMessage,
  signal?: AbortSignal,
): Promise<PullRequestSyncResult & { branch: string }> {
  const plan = pullRequestPlan(cluster, repository, target, creds);
  return { ...(await syncPullRequest(sink, plan.target, tree, message, plan.spec, signal)), branch: plan.target.branch };
}
