// render(model) → FileTree: the pure, deterministic renderer shared by the CLI, the controller and
// the library. No I/O, no clocks, no randomness: the same model gives the same bytes.
import type { ClusterModel, FileTree } from '../model/types.js';
import { PLAIN_RENDERER } from './renderer.js';

/**
 * The cluster's files, without memos (a caller that re-renders keeps a Renderer, renderer.ts). A
 * model from assemble() was checked against the kinds' schemas (check.ts) when its problems were
 * read; its tree is reused here, so the check costs no second render.
 */
export function render(model: ClusterModel): FileTree {
  return PLAIN_RENDERER.render(model);
}

export { Renderer, PLAIN_RENDERER, type RendererOptions } from './renderer.js';
export { ENGINES, engineOf } from './engines.js';
export type { Engine } from './engine.js';
export { applicationObjects, GENERATORS, type Generator } from './apps/index.js';
export { argoHelmSource, helmObjects, workloadObjects, manifestsObjects } from './apps/index.js';
export { syncWaves } from './argocd/index.js';
export { bucketLocation } from './flux/sources.js';
export { toYaml, yamlDocument, YAML_OPTIONS } from './yaml.js';
export { fileOwners, type FileOwners } from './owners.js';
