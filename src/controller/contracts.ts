// The shapes the reconciler needs from its collaborators. The real ones (src/model/assemble.ts,
// src/render, src/git) satisfy them structurally; unit tests pass fakes.
import type { KureResource } from '../api/schema.js';
import type { FleetIndex } from '../model/fleet-index.js';
import type { ClusterModel, FileTree, ObjectRef, Problem } from '../model/types.js';
import type { V1Secret } from '@kubernetes/client-node';
import type { GitErrorKind, GitSink } from '../git/index.js';

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
  /** Which resource each file of `tree` (from render) comes from; commits name them (src/render/owners.ts). */
  owners?(model: ClusterModel, tree: FileTree): ReadonlyMap<string, ObjectRef>;
  /** The cluster is gone: drop what the renderer keeps for it (its re-render memo). */
  forget?(cluster: { namespace: string; name: string }): void;
}

export type { GitAuth, GitErrorKind, GitTarget, SyncResult } from '../git/index.js';

/** The Git side: src/git's GitSink, or a fake in unit tests. */
export type Sink = Pick<GitSink, 'sync' | 'remove'> & Partial<Pick<GitSink, 'rebuild' | 'contains'>>;

/** Structural check for src/git's GitError (name 'GitError', a `kind`). */
export function gitErrorKind(err: unknown): GitErrorKind | undefined {
  const e = err as { name?: unknown; kind?: unknown } | undefined;
  if (e && typeof e === 'object' && e.name === 'GitError' && typeof e.kind === 'string') return e.kind as GitErrorKind;
  return undefined;
}

/** What the reconcilers read: the informer caches, through the fleet index. */
export interface ResourceCache {
  /** The Kure objects: lookups, membership, one cluster's input to assemble. */
  readonly index: Pick<FleetIndex, 'get' | 'byKey' | 'clusterInput' | 'ancestry' | 'clusterOf' | 'subtree' | 'isTombstone' | 'parentOf' | 'liveUnder'>;
  get(kind: KureResource['kind'], namespace: string, name: string): KureResource | undefined;
  /** A cached Secret; may lack `data` if it was not referenced when it was cached. */
  secret(namespace: string, name: string): V1Secret | undefined;
}
