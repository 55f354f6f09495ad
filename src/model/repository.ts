// A KureCluster's Git target with the defaults applied, read from the spec as written: the one
// place that knows them, for assemble's model, the controller's push and its deletion of a cluster
// that never assembled.
import type { KureCluster } from '../api/schema.js';
import { normalizeRepoPath } from './repo-path.js';

export const DEFAULT_BRANCH = 'main';
export const DEFAULT_AUTHOR = { name: 'Kure', email: 'kure@localhost' } as const;

export interface RepositoryTarget {
  url: string | undefined;
  branch: string;
  /** The normalised repository.path (default clusters/<name>); undefined when it is invalid. */
  path: string | undefined;
  secretRef: string | undefined;
  author: { name: string; email: string };
}

export function repositoryOf(c: Pick<KureCluster, 'metadata' | 'spec'>): RepositoryTarget {
  const repo = c.spec?.repository;
  const p = normalizeRepoPath(repo?.path ?? `clusters/${c.metadata.name}`);
  return {
    url: repo?.url || undefined,
    branch: repo?.branch ?? DEFAULT_BRANCH,
    path: 'path' in p ? p.path : undefined,
    secretRef: repo?.secretRef?.name || undefined,
    author: repo?.author ?? { ...DEFAULT_AUTHOR },
  };
}
