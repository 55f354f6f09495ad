// Forges (pull requests): see docs/protected-branches.md.
export { ForgeError, type Forge, type ForgeErrorKind, type MergeMethod, type MergeOptions, type MergeOutcome, type OpenRequest, type PullRequest, type PullRequestState } from './types.js';
export { GiteaForge, type GiteaOptions } from './gitea.js';
export { GitHubForge, GITHUB_API, githubApiUrlFor, type GitHubOptions } from './github.js';
export { GitLabForge, type GitLabOptions } from './gitlab.js';
export { appJwt, credentialsFromSecret, clearGitHubAppTokens, GitHubAppTokenSource, GITHUB_APP_KEYS, type GitCredentials, type GitHubAppKeys, type RepositoryCredentials } from './github-app.js';
export { syncPullRequest, pullRequestBranch, type PullRequestPhase, type PullRequestSpec, type PullRequestSyncResult } from './pull-request.js';
export { forgeFor } from './factory.js';
export { pullRequestPlan, syncClusterPullRequest, writeModeOf } from './spec.js';
export { type ForgeCredentials } from './factory.js';
