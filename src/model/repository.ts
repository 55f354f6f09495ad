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

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Reads the spec defensively: a cluster that failed validation may hold anything there. */
export function repositoryOf(c: Pick<KureCluster, 'metadata' | 'spec'>): RepositoryTarget {
  const repo = (c.spec as Partial<KureCluster['spec']> | undefined)?.repository;
  const rawPath = repo?.path ?? `clusters/${c.metadata.name}`;
  const p = typeof rawPath === 'string' ? normalizeRepoPath(rawPath) : { error: 'not a string' };
  const author = repo?.author;
  return {
    url: text(repo?.url),
    branch: text(repo?.branch) ?? DEFAULT_BRANCH,
    path: 'path' in p ? p.path : undefined,
    secretRef: text(repo?.secretRef?.name),
    author: text(author?.name) && text(author?.email) ? { name: author!.name, email: author!.email } : { ...DEFAULT_AUTHOR },
  };
}
