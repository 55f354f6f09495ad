// The Forge for a KureCluster's spec.repository.pullRequest.
import { ForgeError, type Forge } from './types.js';
import { GiteaForge } from './gitea.js';
import { GitHubForge } from './github.js';
import { GitLabForge } from './gitlab.js';

export interface ForgeCredentials {
  token?: string;
  username?: string;
  password?: string;
}

/**
 * `kind` from spec.repository.pullRequest.forge, `url` the clone URL, `creds` from the repository
 * Secret (the same one the push uses; for a GitHub App, the installation token from
 * `credentialsFromSecret`), `apiUrl` spec.repository.pullRequest.apiUrl (default: derived from url).
 */
export function forgeFor(kind: 'gitea' | 'github' | 'gitlab', url: string, creds: ForgeCredentials, apiUrl?: string): Forge {
  const auth = creds.token ? { token: creds.token } : creds.username && creds.password ? { username: creds.username, password: creds.password } : undefined;
  if (!auth) throw new ForgeError('auth', `writeMode pullRequest needs credentials (token, or username and password, or a GitHub App) in spec.repository.secretRef to call the ${kind} API`, { forge: kind });
  switch (kind) {
    case 'gitea':
      return GiteaForge.fromCloneUrl(url, auth, apiUrl);
    case 'github':
      return GitHubForge.fromCloneUrl(url, auth, apiUrl);
    case 'gitlab':
      return GitLabForge.fromCloneUrl(url, auth, apiUrl);
    default:
      throw new ForgeError('invalid', `spec.repository.pullRequest.forge ${String(kind)} is not one of gitea, github, gitlab`, { forge: String(kind) });
  }
}
