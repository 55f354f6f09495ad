// The bundle directories (`nodes/.../<bundle>/`): one file per application plus a kustomization.yaml
// that lists them. Shared by both engines.
import type { BundleModel, ClusterModel } from '../model/types.js';
import { applicationObjects } from './apps/index.js';
import { applicationFileNames, bundleDir } from './layout.js';
import { assertUniqueIds, kustomization, toYaml } from './objects.js';

export interface BundleDirectory {
  /** Directory relative to repository.path. */
  dir: string;
  /** File name → objects (only applications that produce objects). */
  files: Map<string, Record<string, unknown>[]>;
}

export function bundleDirectory(bundle: BundleModel, cluster: ClusterModel): BundleDirectory {
  const files = new Map<string, Record<string, unknown>[]>();
  const names = applicationFileNames(bundle);
  for (const app of bundle.applications) {
    const objects = applicationObjects(app, bundle, cluster);
    if (objects.length > 0) files.set(names.get(app) as string, objects);
  }
  assertUniqueIds([...files.values()].flat(), `KureBundle ${bundle.ref.namespace}/${bundle.name}`);
  return { dir: bundleDir(bundle), files };
}

/**
 * Kustomize transformers that apply commonMetadata the way Flux's `spec.commonMetadata` does:
 * labels and annotations on each object's own metadata only (no selectors, no pod templates).
 */
export function commonMetadataTransformers(bundle: BundleModel): Record<string, unknown> {
  const labels = bundle.commonMetadata?.labels ?? {};
  const annotations = bundle.commonMetadata?.annotations ?? {};
  const out: Record<string, unknown> = {};
  if (Object.keys(labels).length > 0) out.labels = [{ pairs: { ...labels } }];
  if (Object.keys(annotations).length > 0) {
    out.transformers = [
      toYaml([
        {
          apiVersion: 'builtin',
          kind: 'AnnotationsTransformer',
          metadata: { name: 'common-annotations' },
          annotations: { ...annotations },
          fieldSpecs: [{ path: 'metadata/annotations', create: true }],
        },
      ]),
    ];
  }
  return out;
}

/** Writes a bundle directory into `tree`; `extra` goes into its kustomization.yaml. */
export function writeBundleDirectory(
  tree: Map<string, string>,
  directory: BundleDirectory,
  extra: Record<string, unknown> = {},
): void {
  for (const [file, objects] of directory.files) tree.set(`${directory.dir}/${file}`, toYaml(objects));
  tree.set(`${directory.dir}/kustomization.yaml`, toYaml([kustomization([...directory.files.keys()], extra)]));
}
