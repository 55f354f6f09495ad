// From a KureCluster's spec.repository to what syncPullRequest needs: the controller calls
// `pullRequestPlan` once per reconcile (cheap; no I/O) when writeMode is pullRequest.
import type { KureCluster } from '../api/schema.js';
import type { GitTarget } from '../git/sink.js';
import { forgeFor, type ForgeCredentials } from './factory.js';
import { pullRequestBranch, type PullRequestSpec } from './pull-request.js';

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
