// The Argo CD engine: its rules on a model (what Argo CD cannot deliver) and its render.
import { problem, Reason } from '../../model/problems.js';
import type { ClusterModel, NodeModel, Problem } from '../../model/types.js';
import { bootstrapCollisions, defineEngine } from '../engine.js';
import { allBundles } from '../layout.js';
import { renderArgo } from './index.js';

function validate(model: ClusterModel): Problem[] {
  const out: Problem[] = bootstrapCollisions(model, model.name);
  // Each bundle, with the nearest node at or above it that has a source.
  const visit = (node: NodeModel, source: NodeModel | undefined): void => {
    const src = node.source ? node : source;
    for (const b of node.bundles) {
      for (const a of b.applications)
        if (a.content.type === 'helm' && (a.content.helm.valuesFrom?.length ?? 0) > 0)
          out.push(problem(a.ref, 'spec.helm.valuesFrom', 'Argo CD reads Helm values only from the repository (values); it has no valuesFrom from ConfigMaps or Secrets'));
      if (b.decryption) out.push(problem(b.ref, 'spec.decryption', 'Argo CD cannot decrypt SOPS; deliver Secrets with External Secrets or Sealed Secrets on an Argo CD cluster'));
      if (b.postBuild) out.push(problem(b.ref, 'spec.postBuild', 'Argo CD has no variable substitution; template the values into the applications, or use a Flux cluster'));
      if (b.force)
        out.push(
          problem(
            b.ref,
            'spec.force',
            'Argo CD has no counterpart (its Replace=true and Force=true sync options recreate objects on every sync; set them in spec.argocd.syncOptions if that is wanted)',
          ),
        );
      if (src?.source?.kind === 'Bucket') out.push(problem(src.ref, 'spec.source.kind', 'Argo CD cannot read from a Bucket source; use GitRepository or OCIRepository'));
    }
    for (const c of node.children) visit(c, src);
  };
  for (const n of model.nodes) visit(n, undefined);
  for (const b of allBundles(model)) {
    if (b.patches && b.applications.length > 0 && b.applications.every((a) => a.content.type === 'helm'))
      out.push(
        problem(b.ref, 'spec.patches', "Argo CD does not patch the objects of a Helm source, and this bundle has only helm applications (no directory to patch); use the charts' values"),
      );
    const project = [model.argocd.project, 'default'].find((p) => p === b.name);
    if (project !== undefined && (b.tenants?.length ?? 0) > 0)
      out.push(
        problem(
          b.ref,
          'metadata.name',
          `a bundle that admits other namespaces gets an Argo CD AppProject named after it, which would replace the AppProject ${project}${project === model.argocd.project ? " (the cluster's spec.gitops.argocd.project)" : " (Argo CD's default project)"}; rename the bundle`,
          Reason.Duplicate,
        ),
      );
  }
  return out;
}

export const argoEngine = defineEngine('argocd', validate, renderArgo);
