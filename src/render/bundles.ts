// The bundle directories (`nodes/.../<bundle>/`): one file per application plus a kustomization.yaml
// that lists them. Shared by both engines.
import type { ApplicationModel, BundleModel, ClusterModel, ObjectRef } from '../model/types.js';
import { helmDependencyKey } from './apps/helm.js';
import { applicationObjects } from './apps/index.js';
import { applicationFileNames, bundleDir } from './layout.js';
import { activeMemo } from './memo.js';
import { assertUniqueIds, kustomization, objectId, toYaml, type Collect, type KubeObject } from './objects.js';

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
  /** Everything besides the applications that the directory is made from (generatorContext). */
  context: string;
  /** The paths of `files`, in their order, once written. */
  paths?: string[];
  /** Its kustomization.yaml, once written, with the JSON of the `extra` it was written with. */
  kustomization?: { extra: string; text: string };
}

/**
 * Re-rendering reuses output through the memo of the Renderer that renders (memo.ts): a generator
 * reads only the application, its bundle's settings and the cluster's settings, so while those are
 * unchanged (the controller's caches hand back the same spec objects) the output is reused:
 * re-rendering after one change formats one file. Without a memo (`kure render`, render(model)) the
 * objects of a file die as soon as it is formatted and checked.
 */
const clusterContexts = new WeakMap<ClusterModel, string>();

function renderApplication(app: ApplicationModel, bundle: BundleModel, cluster: ClusterModel, context: string): RenderedFile {
  const id = `${app.namespace}/${app.name}|${app.tenantNamespace ?? ''}|${helmDependencyKey(app, bundle)}`;
  const memo = activeMemo();
  const hit = memo?.applications.get(app.spec);
  if (hit?.context === context && hit.id === id) return hit.file;
  const objects = applicationObjects(app, bundle, cluster);
  const field = app.content.type === 'manifests' ? undefined : `spec.${app.content.type}`;
  const fields = objects.map((_, i) => field ?? manifestField(i));
  const file = { objects, ids: objects.map(objectId), text: objects.length > 0 ? toYaml(objects) : '', owner: app.ref, fields };
  memo?.applications.set(app.spec, { context, id, file });
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
  const apps = bundle.applications;
  const key = `${cluster.ref.namespace}/${cluster.name}/${bundle.name}`;
  const memo = activeMemo();
  const hit = memo?.directory(key);
  if (hit?.context === context && sameApplications(hit.apps, apps)) {
    memo?.setDirectory(key, { ...hit, apps });
    return hit.directory;
  }

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
  const directory: BundleDirectory = { dir: bundleDir(bundle), files, context };
  memo?.setDirectory(key, { context, apps, directory });
  return directory;
}

/** The same applications in the same order, each with the same spec object (compared without building keys). */
function sameApplications(a: readonly ApplicationModel[], b: readonly ApplicationModel[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ApplicationModel;
    const y = b[i] as ApplicationModel;
    if (x.spec !== y.spec || x.name !== y.name || x.namespace !== y.namespace) return false;
  }
  return true;
}

/**
 * A file made only from `context` (a string naming everything it reads), reused from the last
 * render with the Renderer's memo while `context` is unchanged; without a memo, made.
 */
export function contextFile(key: string, context: string, make: () => KubeObject[]): { objects: KubeObject[]; text: string } {
  const build = () => {
    const objects = make();
    return { context, objects, text: toYaml(objects) };
  };
  const memo = activeMemo();
  return memo ? memo.file(key, context, build) : build();
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
  collect?: Collect,
): void {
  // The files' paths, built once per directory (a reused directory is written again on every render).
  const paths = (directory.paths ??= [...directory.files.keys()].map((name) => `${directory.dir}/${name}`));
  let i = 0;
  for (const file of directory.files.values()) {
    const path = paths[i++] as string;
    tree.set(path, file.text);
    collect?.(path, file.objects, file.owner, file.fields);
  }
  // A directory reused from the memo has the same files; its kustomization.yaml differs only with `extra`.
  const json = JSON.stringify(extra);
  if (directory.kustomization?.extra !== json) directory.kustomization = { extra: json, text: toYaml([kustomization([...directory.files.keys()], extra)]) };
  tree.set(`${directory.dir}/kustomization.yaml`, directory.kustomization.text);
}
