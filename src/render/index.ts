// render(model) → FileTree: the pure, deterministic renderer shared by the CLI, the controller and
// the library. No I/O, no clocks, no randomness: the same model gives the same bytes.
import type { ClusterModel, FileTree } from '../model/types.js';
import { renderArgo } from './argocd/index.js';
import { renderFlux } from './flux/index.js';
import { cmp } from '../model/problems.js';

export function render(model: ClusterModel): FileTree {
  const tree = new Map<string, string>();
  switch (model.engine) {
    case 'flux':
      renderFlux(model, tree);
      break;
    case 'argocd':
      renderArgo(model, tree);
      break;
    default:
      throw new Error(`render: unknown engine ${JSON.stringify(model.engine as string)}`);
  }
  return new Map([...tree.entries()].sort(([a], [b]) => cmp(a, b)));
}

export { applicationObjects, GENERATORS, type Generator } from './apps/index.js';
export { argoHelmSource, helmObjects, workloadObjects, manifestsObjects } from './apps/index.js';
export { syncWaves } from './argocd/index.js';
export { bucketLocation } from './flux/sources.js';
export { toYaml, yamlDocument, YAML_OPTIONS } from './yaml.js';
