// The registry of engines, by spec.gitops.engine. The output check (check.ts) and the renderer
// (renderer.ts) render through here; assemble() validates through here.
import type { ClusterModel, EngineName, FileTree } from '../model/types.js';
import { argoEngine } from './argocd/engine.js';
import type { Engine } from './engine.js';
import { fluxEngine } from './flux/engine.js';
import type { Collect } from './objects.js';

export const ENGINES: Readonly<Record<EngineName, Engine>> = Object.freeze({ flux: fluxEngine, argocd: argoEngine });

/** The engine of a cluster (the API's enum admits only registered names). */
export function engineOf(model: Pick<ClusterModel, 'engine'>): Engine {
  const engine = ENGINES[model.engine];
  if (!engine) throw new Error(`render: unknown engine ${JSON.stringify(model.engine as string)}`);
  return engine;
}

export function renderTree(model: ClusterModel, collect?: Collect): FileTree {
  return engineOf(model).render(model, collect);
}
