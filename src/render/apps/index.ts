// Application generators: KureApplication → the Kubernetes objects of its file in the bundle directory.
import type { ApplicationModel, BundleModel, ClusterModel } from '../../model/types.js';
import { helmObjects } from './helm.js';
import { manifestsObjects } from './manifests.js';
import { workloadObjects } from './workload.js';

export type Generator = (app: ApplicationModel, bundle: BundleModel, cluster: ClusterModel) => Record<string, unknown>[];

export const GENERATORS: Record<ApplicationModel['content']['type'], Generator> = {
  manifests: manifestsObjects,
  helm: helmObjects,
  workload: workloadObjects,
};

/** The objects written for one application (Argo CD Helm applications have none: they are sources). */
export function applicationObjects(app: ApplicationModel, bundle: BundleModel, cluster: ClusterModel): Record<string, unknown>[] {
  return GENERATORS[app.content.type](app, bundle, cluster);
}

export { argoHelmSource, helmObjects } from './helm.js';
export { manifestsObjects } from './manifests.js';
export { workloadObjects } from './workload.js';
