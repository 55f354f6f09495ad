// Forges (pull requests): see docs/protected-branches.md.
export { ForgeError, type Forge, type ForgeErrorKind, type MergeMethod, type MergeOutcome, type OpenRequest, type PullRequest, type PullRequestState } from './types.js';
export { GiteaForge, type GiteaOptions } from './gitea.js';
export { syncPullRequest, pullRequestBranch, type PullRequestPhase, type PullRequestSpec, type PullRequestSyncResult } from './pull-request.js';
export { forgeFor } from './factory.js';
export { pullRequestPlan, syncClusterPullRequest, writeModeOf } from './spec.js';
export { type ForgeCredentials } from './factory.js';
