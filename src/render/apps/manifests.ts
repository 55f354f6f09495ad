// `manifests`: raw Kubernetes objects, kept as given. Their maps arrive with sorted keys (the model's
// canonical form, which is also how the API server stores them); apiVersion, kind and metadata are
// put first so that the files read like the manifests people write.
import type { ApplicationModel, BundleModel, ClusterModel } from '../../model/types.js';

export function manifestsObjects(app: ApplicationModel, _bundle: BundleModel, _cluster: ClusterModel): Record<string, unknown>[] {
  if (app.content.type !== 'manifests') return [];
  return app.content.manifests.map(({ apiVersion, kind, metadata, ...rest }) => ({ apiVersion, kind, metadata, ...rest }));
}
