// The Forge for a KureCluster's spec.repository.pullRequest.
import { ForgeError, type Forge } from './types.js';
import { GiteaForge } from './gitea.js';

export interface ForgeCredentials {
  token?: string;
  username?: string;
  password?: string;
}

/**
 * `kind` from spec.repository.pullRequest.forge, `url` the clone URL, `creds` from the repository
 * Secret (the same one the push uses). GitHub and GitLab are not implemented yet (see
 * docs/protected-branches.md): they fail with a clear ForgeError.
 */
export function forgeFor(kind: 'gitea' | 'github' | 'gitlab', url: string, creds: ForgeCredentials, apiUrl?: string): Forge {
  const auth = creds.token ? { token: creds.token } : creds.username && creds.password ? { username: creds.username, password: creds.password } : undefined;
  if (!auth) throw new ForgeError('auth', `writeMode pullRequest needs credentials (token, or username and password) in spec.repository.secretRef to call the ${kind} API`, { forge: kind });
  if (kind === 'gitea') return GiteaForge.fromCloneUrl(url, auth, apiUrl);
  throw new ForgeError('invalid', `spec.repository.pullRequest.forge ${kind} is not supported yet (Gitea is); see docs/protected-branches.md`, { forge: kind });
}
