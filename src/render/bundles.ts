// The bundle directories (`nodes/.../<bundle>/`): one file per application plus a kustomization.yaml
// that lists them. Shared by both engines.
import type { ApplicationModel, BundleModel, ClusterModel, ObjectRef } from '../model/types.js';
import { helmDependencyKey } from './apps/helm.js';
import { applicationObjects } from './apps/index.js';
import { applicationFileNames, bundleDir } from './layout.js';
import { assertUniqueIds, kustomization, objectId, toYaml, type Collect } from './objects.js';

export interface RenderedFile {
  objects: Record<string, unknown>[];
  /** kustomize ids of `objects`, for the duplicate check. */
  ids: string[];
  text: string;
  /** The KureApplication the file is rendered from, and the field of it each object comes from. */
  owner: ObjectRef;
  fields: string[];
}

export interface BundleDirectory {
  /** Directory relative to repository.path. */
  dir: string;
  /** File name → its objects and YAML (only applications that produce objects). */
  files: Map<string, RenderedFile>;
}

/**
 * Memos for re-rendering. A generator reads only the application, its bundle's settings and the
 * cluster's settings, so while those are unchanged (the controller's caches hand back the same spec
 * objects) the output is reused: re-rendering after one change formats one file.
 */
const applicationMemo = new WeakMap<object, { context: string; id: string; file: RenderedFile }>();
const directoryMemo = new Map<string, { context: string; specs: object[]; ids: string[]; directory: BundleDirectory }>();
const MAX_DIRECTORIES = 50_000;
const clusterContexts = new WeakMap<ClusterModel, string>();
let memoize = true;

/**
 * Turns the two memos above on or off. `kure render` renders once and exits, so it turns them off:
 * there they only keep every generated object alive to the end (10,000 applications: ~45 MB more
 * to copy and mark in each garbage collection), where without them the objects of a file die as
 * soon as it is formatted and checked.
 */
export function setApplicationMemo(enabled: boolean): void {
  memoize = enabled;
  if (!enabled) directoryMemo.clear();
}

function renderApplication(app: ApplicationModel, bundle: BundleModel, cluster: ClusterModel, context: string): RenderedFile {
  const id = `${app.namespace}/${app.name}|${app.tenantNamespace ?? ''}|${helmDependencyKey(app, bundle)}`;
  const hit = memoize ? applicationMemo.get(app.spec) : undefined;
  if (hit?.context === context && hit.id === id) return hit.file;
  const objects = applicationObjects(app, bundle, cluster);
  const field = app.content.type === 'manifests' ? undefined : `spec.${app.content.type}`;
  const fields = objects.map((_, i) => field ?? manifestField(i));
  const file = { objects, ids: objects.map(objectId), text: objects.length > 0 ? toYaml(objects) : '', owner: app.ref, fields };
  if (memoize) applicationMemo.set(app.spec, { context, id, file });
  return file;
}

/** `spec.manifests[i]`, one string per index for all files. */
const manifestFields: string[] = [];
const manifestField = (i: number): string => (manifestFields[i] ??= `spec.manifests[${i}]`);

/** Everything a generator may read besides the application itself. */
function generatorContext(bundle: BundleModel, cluster: ClusterModel): string {
  let clusterContext = clusterContexts.get(cluster);
  if (clusterContext === undefined) {
    const { nodes: _n, ...clusterSettings } = cluster;
    clusterContexts.set(cluster, (clusterContext = JSON.stringify(clusterSettings)));
  }
  const { applications: _a, ...bundleSettings } = bundle;
  return `${JSON.stringify(bundleSettings)}|${clusterContext}`;
}

export function bundleDirectory(bundle: BundleModel, cluster: ClusterModel): BundleDirectory {
  const context = generatorContext(bundle, cluster);
  const specs = bundle.applications.map((a) => a.spec);
  const ids = bundle.applications.map((a) => `${a.namespace}/${a.name}`);
  const key = `${cluster.ref.namespace}/${cluster.name}/${bundle.name}`;
  const hit = memoize ? directoryMemo.get(key) : undefined;
  if (hit?.context === context && sameItems(hit.specs, specs) && sameItems(hit.ids, ids)) return hit.directory;

  const files = new Map<string, RenderedFile>();
  const names = applicationFileNames(bundle);
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
  const directory = { dir: bundleDir(bundle), files };
  if (!memoize) return directory;
  if (directoryMemo.size >= MAX_DIRECTORIES) directoryMemo.clear();
  directoryMemo.set(key, { context, specs, ids, directory });
  return directory;
}

const sameItems = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

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
  collect?: Collect,
): void {
  for (const [name, file] of directory.files) {
    const path = `${directory.dir}/${name}`;
    tree.set(path, file.text);
    collect?.(path, file.objects, file.owner, file.fields);
  }
  tree.set(`${directory.dir}/kustomization.yaml`, toYaml([kustomization([...directory.files.keys()], extra)]));
}
