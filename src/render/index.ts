// render(model) → FileTree: the pure, deterministic renderer shared by the CLI, the controller and
// the library. No I/O, no clocks, no randomness: the same model gives the same bytes.
import type { ClusterModel, FileTree } from '../model/types.js';
import { checkedTree } from './check.js';
import { renderTree } from './engines.js';
import { setApplicationMemo } from './bundles.js';
import { setDocumentMemo } from './yaml.js';

/**
 * A model from assemble() was checked against the kinds' schemas (check.ts) when its problems were
 * read; its tree is reused here, so the check costs no second render.
 */
export function render(model: ClusterModel): FileTree {
  return checkedTree(model) ?? renderTree(model);
}

/**
 * The re-render memos (of applications, bundle directories and YAML documents) on or off. They make
 * the controller's re-render after one change cheap; a command that renders once turns them off.
 */
export function setRenderMemos(enabled: boolean): void {
  setApplicationMemo(enabled);
  setDocumentMemo(enabled);
}

export { applicationObjects, GENERATORS, type Generator } from './apps/index.js';
export { argoHelmSource, helmObjects, workloadObjects, manifestsObjects } from './apps/index.js';
export { syncWaves } from './argocd/index.js';
export { bucketLocation } from './flux/sources.js';
export { toYaml, yamlDocument, YAML_OPTIONS } from './yaml.js';
export { fileOwners, type FileOwners } from './owners.js';
