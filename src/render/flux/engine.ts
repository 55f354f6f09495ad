// The Flux engine: its rules on a model and its render.
import { problem, Reason } from '../../model/problems.js';
import type { ClusterModel, Problem } from '../../model/types.js';
import { bootstrapCollisions, defineEngine } from '../engine.js';
import { allBundles, allNodes } from '../layout.js';
import { renderFlux } from './index.js';

function validate(model: ClusterModel): Problem[] {
  const out: Problem[] = bootstrapCollisions(model, model.flux.sourceRef.name);
  for (const b of allBundles(model))
    if (b.argocd)
      out.push(problem(b.ref, 'spec.argocd', `is for Argo CD, and KureCluster ${model.ref.namespace}/${model.name} uses flux (Flux applies server-side and retries at retryInterval)`));
  if (model.bootstrap && model.flux.sourceRef.kind !== 'GitRepository')
    out.push(
      problem(
        model.ref,
        'spec.gitops.bootstrap.enabled',
        `bootstrap writes a GitRepository for this repository, but spec.gitops.flux.sourceRef is a ${model.flux.sourceRef.kind}; use GitRepository or turn bootstrap off`,
      ),
    );
  for (const n of allNodes(model))
    if (n.source?.kind === model.flux.sourceRef.kind && n.name === model.flux.sourceRef.name)
      out.push(problem(n.ref, 'metadata.name', `collides with the cluster's Flux source ${model.flux.sourceRef.kind}/${n.name}`, Reason.Duplicate));
  return out;
}

export const fluxEngine = defineEngine('flux', validate, renderFlux);
