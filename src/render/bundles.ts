// The bundle directories (`nodes/.../<bundle>/`): one file per application plus a kustomization.yaml
// that lists them. Shared by both engines.
import type { ApplicationModel, BundleModel, ClusterModel } from '../model/types.js';
import { applicationObjects } from './apps/index.js';
import { applicationFileNames, bundleDir } from './layout.js';
import { assertUniqueIds, kustomization, objectId, toYaml } from './objects.js';

export interface RenderedFile {
  objects: Record<string, unknown>[];
  /** kustomize ids of `objects`, for the duplicate check. */
  ids: string[];
  text: string;
}

export interface BundleDirectory {
  /** Directory relative to repository.path. */
  dir: string;
  /** File name → its objects and YAML (only applications that produce objects). */
  files: Map<string, RenderedFile>;
}

/**
 * Rendered files per application spec object. A generator reads only the application, its bundle's
 * settings and the cluster's settings, so when those are unchanged (the controller's caches hand
 * back the same spec objects) the YAML is reused: re-rendering after one change costs one file.
 */
const memo = new WeakMap<object, { context: string; file: RenderedFile }>();

function renderApplication(app: ApplicationModel, bundle: BundleModel, cluster: ClusterModel, context: string): RenderedFile {
  const key = `${context}|${app.namespace}/${app.name}`;
  const hit = memo.get(app.spec);
  if (hit?.context === key) return hit.file;
  const objects = applicationObjects(app, bundle, cluster);
  const file = { objects, ids: objects.map(objectId), text: objects.length > 0 ? toYaml(objects) : '' };
  memo.set(app.spec, { context: key, file });
  return file;
}

/** Everything a generator may read besides the application itself. */
function generatorContext(bundle: BundleModel, cluster: ClusterModel): string {
  const { applications: _a, ...bundleSettings } = bundle;
  const { nodes: _n, ...clusterSettings } = cluster;
  return JSON.stringify([bundleSettings, clusterSettings]);
}

export function bundleDirectory(bundle: BundleModel, cluster: ClusterModel): BundleDirectory {
  const files = new Map<string, RenderedFile>();
  const names = applicationFileNames(bundle);
  const context = generatorContext(bundle, cluster);
  for (const app of bundle.applications) {
    const file = renderApplication(app, bundle, cluster, context);
    if (file.objects.length > 0) files.set(names.get(app) as string, file);
  }
  const all = [...files.values()];
  assertUniqueIds(
    all.flatMap((f) => f.objects),
    `KureBundle ${bundle.ref.namespace}/${bundle.name}`,
    all.flatMap((f) => f.ids),
  );
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
  for (const [name, file] of directory.files) tree.set(`${directory.dir}/${name}`, file.text);
  tree.set(`${directory.dir}/kustomization.yaml`, toYaml([kustomization([...directory.files.keys()], extra)]));
}
