// The shapes the reconciler needs from its collaborators. The real ones (src/model/assemble.ts,
// src/render, src/git) satisfy them structurally; unit tests pass fakes.
import type { KureResource } from '../api/schema.js';
import type { ClusterModel, FileTree, ObjectRef, Problem } from '../model/types.js';
import type { V1Secret } from '@kubernetes/client-node';

export interface AssembledClusterLike {
  key: string;
  model: ClusterModel;
  problems: Problem[];
  members: ObjectRef[];
}

export interface AssembleResultLike {
  clusters: AssembledClusterLike[];
  orphans: Problem[];
  /** Resources that reach no cluster (present in the real assemble; optional for fakes). */
  detached?: ObjectRef[];
  problems: Problem[];
}

/** The pure core: assemble → isRenderable → render. */
export interface Pipeline {
  assemble(resources: readonly KureResource[]): AssembleResultLike;
  isRenderable(c: AssembledClusterLike): boolean;
  render(model: ClusterModel): FileTree;
}

export type GitAuth = { username: string; password: string } | { token: string };

export interface GitTarget {
  url: string;
  branch: string;
  path: string;
  auth?: GitAuth;
  author: { name: string; email: string };
}

export interface SyncResult {
  changed: boolean;
  sha: string;
  time?: string;
  message?: string;
  changedPaths: string[];
  attempts: number;
}

export interface Sink {
  sync(target: GitTarget, tree: FileTree, message: string | ((changedPaths: string[]) => string), signal?: AbortSignal): Promise<SyncResult>;
  remove(target: GitTarget, message: string, signal?: AbortSignal): Promise<SyncResult>;
}

export type GitErrorKind = 'auth' | 'network' | 'conflict' | 'other';

/** Structural check for src/git's GitError (name 'GitError', a `kind`). */
export function gitErrorKind(err: unknown): GitErrorKind | undefined {
  const e = err as { name?: unknown; kind?: unknown } | undefined;
  if (e && typeof e === 'object' && e.name === 'GitError' && typeof e.kind === 'string') return e.kind as GitErrorKind;
  return undefined;
}

/** What the reconciler reads: the informer caches. */
export interface ResourceCache {
  /** Every cached Kure resource (all four kinds). */
  resources(): readonly KureResource[];
  /** Increases on every cache change; lets the reconciler memoize assemble(). */
  revision(): number;
  get(kind: KureResource['kind'], namespace: string, name: string): KureResource | undefined;
  /** A cached Secret; may lack `data` if it was not referenced when it was cached. */
  secret(namespace: string, name: string): V1Secret | undefined;
}
