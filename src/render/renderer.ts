// A Renderer renders models and owns the memos that make a re-render after one change cheap. The
// memos are per cluster and per Renderer, never per process: a cluster's memo holds the output of
// its last render only (each render replaces it, memo.ts) and goes with forget() or the Renderer.
// `kure render` and render(model) use one without memos; the controller keeps one with memos and
// forgets a cluster when it is gone.
import type { ClusterModel, FileTree, ObjectRef } from '../model/types.js';
import { checkedTree } from './check.js';
import { engineOf } from './engines.js';
import { RenderMemo } from './memo.js';
import type { Collect } from './objects.js';
import { fileOwners, type FileOwners } from './owners.js';

export interface RendererOptions {
  /** Keep each cluster's last output to re-render from (default true). */
  memos?: boolean;
}

type ClusterKey = Pick<ObjectRef, 'namespace' | 'name'>;
const keyOf = (c: ClusterKey): string => `${c.namespace ?? ''}/${c.name}`;

export class Renderer {
  private readonly memos = new Map<string, RenderMemo>();
  private readonly memoize: boolean;

  constructor(options: RendererOptions = {}) {
    this.memoize = options.memos ?? true;
  }

  /**
   * The cluster's files. A model from assemble() (with this renderer) was checked against the
   * kinds' schemas when its problems were read; that tree is handed out here, not rendered again.
   */
  render(model: ClusterModel): FileTree {
    return checkedTree(model) ?? this.renderTree(model);
  }

  /** Renders through the cluster's engine, with this renderer's memo of that cluster. */
  renderTree(model: ClusterModel, collect?: Collect): FileTree {
    const engine = engineOf(model);
    if (!this.memoize) return engine.render(model, collect);
    const key = keyOf(model.ref);
    let memo = this.memos.get(key);
    if (!memo) this.memos.set(key, (memo = new RenderMemo()));
    return memo.generation(() => engine.render(model, collect));
  }

  /** Which resource each file of `tree` (from render) comes from. */
  owners(model: ClusterModel, tree?: FileTree): FileOwners {
    return fileOwners(model, tree, (m, collect) => this.renderTree(m, collect));
  }

  /** Drops what is kept for a cluster (it was deleted or left this controller). */
  forget(cluster: ClusterKey): void {
    this.memos.delete(keyOf(cluster));
  }

  /** Clusters with a memo. */
  get clusters(): number {
    return this.memos.size;
  }
}

/** A Renderer without memos: the default of render(model), assemble() and `kure render`. */
export const PLAIN_RENDERER = new Renderer({ memos: false });
