// `manifests`: raw Kubernetes objects, kept exactly as given (key order included).
import type { ApplicationModel, BundleModel, ClusterModel } from '../../model/types.js';

export function manifestsObjects(app: ApplicationModel, _bundle: BundleModel, _cluster: ClusterModel): Record<string, unknown>[] {
  if (app.content.type !== 'manifests') return [];
  return app.content.manifests;
}
