// Argo CD layout:
//   apps/kustomization.yaml + apps/<bundle>.yaml   one Application per bundle (app-of-apps children)
//   bootstrap/                                     (bootstrap) the root Application + kustomization.yaml
//   nodes/.../<bundle>/                            bundle directories (see bundles.ts)
import { ownerLabels } from '../../api/labels.js';
import type { BundleModel, ClusterModel } from '../../model/types.js';
import { argoHelmSource } from '../apps/helm.js';
import { bundleDirectory, commonMetadataTransformers, writeBundleDirectory } from '../bundles.js';
import { allBundles } from '../layout.js';
import {
  ARGO_API,
  argoPath,
  assertUniqueIds,
  compact,
  joinPath,
  kustomization,
  MANAGED_BY,
  nonEmpty,
  sortStrings,
  toYaml,
  yamlFileName,
  type Collect,
  type KubeObject,
} from '../objects.js';

export const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/** wave(b) = 1 + max(wave(dependencies)), 1 without dependencies (gitops-semantics §5). */
export function syncWaves(bundles: readonly BundleModel[]): Map<string, number> {
  const byName = new Map(bundles.map((b) => [b.name, b]));
  const waves = new Map<string, number>();
  const visiting = new Set<string>();
  const wave = (name: string): number => {
    const known = waves.get(name);
    if (known !== undefined) return known;
    const bundle = byName.get(name);
    if (bundle === undefined) throw new Error(`render: dependsOn names an unknown bundle ${JSON.stringify(name)}`);
    if (visiting.has(name)) throw new Error(`render: dependsOn cycle through bundle ${JSON.stringify(name)}`);
    visiting.add(name);
    const w = 1 + bundle.dependsOn.reduce((max, dep) => Math.max(max, wave(dep)), 0);
    visiting.delete(name);
    waves.set(name, w);
    return w;
  };
  for (const b of bundles) wave(b.name);
  return waves;
}

/** Flux `retryInterval` ≈ Argo CD retry backoff: retry at that period, for ever, on the latest revision. */
function syncPolicy(bundle: BundleModel, prune: boolean, syncOptions: string[]): Record<string, unknown> {
  const retry = bundle.argocd?.retry;
  const backoff = {
    duration: retry?.backoff?.duration ?? bundle.retryInterval ?? '5s',
    factor: retry?.backoff?.factor ?? 2,
    maxDuration: retry?.backoff?.maxDuration ?? bundle.retryInterval ?? '3m',
  };
  return compact({
    automated: bundle.suspend ? undefined : { prune, selfHeal: true },
    syncOptions: syncOptions.length > 0 ? syncOptions : undefined,
    retry: { limit: retry?.limit ?? -1, refresh: true, backoff },
  });
}

/** CreateNamespace=true with a targetNamespace, then the bundle's own options; a name set twice keeps the bundle's value. */
export function syncOptions(bundle: BundleModel): string[] {
  const options = new Map<string, string>();
  if (bundle.targetNamespace !== undefined) options.set('CreateNamespace', 'true');
  for (const o of bundle.argocd?.syncOptions ?? []) {
    const at = o.indexOf('=');
    options.set(o.slice(0, at), o.slice(at + 1));
  }
  return [...options].map(([k, v]) => `${k}=${v}`);
}

/** Kustomize patches as Argo CD and kustomize write them. */
export const kustomizePatches = (bundle: BundleModel): Record<string, unknown>[] | undefined =>
  bundle.patches?.map((p) => compact({ patch: p.patch, target: p.target === undefined ? undefined : { ...p.target } }));

function destination(cluster: ClusterModel, namespace: string | undefined): Record<string, unknown> {
  const d = cluster.argocd.destination;
  const target = d.name !== undefined ? { name: d.name } : { server: d.server ?? IN_CLUSTER };
  return compact({ ...target, namespace });
}

/** The source(s) of a bundle's Application. */
function sources(bundle: BundleModel, cluster: ClusterModel, dir: string, hasFiles: boolean): Record<string, unknown> {
  if (bundle.external !== undefined) {
    const { source, path } = bundle.external;
    if (source.kind === 'Bucket') {
      throw new Error(`render: KureBundle ${bundle.ref.namespace}/${bundle.name}: a Bucket source cannot be used with Argo CD`);
    }
    const ref = source.ref ?? {};
    const meta = bundle.commonMetadata;
    const labels = nonEmpty({ ...meta?.labels });
    const annotations = nonEmpty({ ...meta?.annotations });
    return {
      source: compact({
        repoURL: source.url,
        targetRevision: ref.branch ?? ref.tag ?? ref.semver ?? ref.commit,
        path: argoPath(path),
        // No kustomization.yaml of ours here: Argo CD's kustomize overrides (the directory must be a kustomization).
        kustomize: nonEmpty(
          compact({
            commonLabels: labels,
            labelWithoutSelector: labels === undefined ? undefined : true,
            commonAnnotations: annotations,
            components: bundle.components?.map((c) => c),
            patches: kustomizePatches(bundle),
          }),
        ),
      }),
    };
  }
  const pathSource = {
    repoURL: cluster.repository.url,
    targetRevision: cluster.repository.branch,
    path: argoPath(joinPath(cluster.repository.path, dir)),
  };
  const helm = bundle.applications.flatMap((app) => (app.content.type === 'helm' ? [argoHelmSource(app, app.content.helm)] : []));
  if (helm.length === 0) return { source: pathSource };
  return { sources: hasFiles ? [pathSource, ...helm] : helm };
}

export function argoApplication(
  bundle: BundleModel,
  cluster: ClusterModel,
  wave: number,
  dir: string,
  hasFiles: boolean,
): KubeObject {
  return {
    apiVersion: ARGO_API,
    kind: 'Application',
    metadata: {
      name: bundle.name,
      namespace: cluster.argocd.namespace,
      labels: { ...MANAGED_BY, ...ownerLabels({ cluster: cluster.ref, bundle: bundle.ref }) },
      annotations: { [SYNC_WAVE]: String(wave) },
      finalizers: [FINALIZER],
    },
    spec: {
      project: projectOf(bundle, cluster),
      destination: destination(cluster, bundle.targetNamespace),
      ...sources(bundle, cluster, dir, hasFiles),
      syncPolicy: syncPolicy(bundle, bundle.prune, syncOptions(bundle)),
      ...(bundle.argocd?.ignoreDifferences?.length ? { ignoreDifferences: bundle.argocd.ignoreDifferences.map((d) => ({ ...d })) } : {}),
    },
  };
}

/** A bundle that admits other namespaces syncs under its own AppProject, named after it. */
export const projectOf = (bundle: BundleModel, cluster: ClusterModel): string =>
  (bundle.tenants?.length ?? 0) > 0 ? bundle.name : cluster.argocd.project;

/**
 * The AppProject of a bundle that admits other namespaces: it may deploy only into the namespace the
 * bundle grants (its targetNamespace, else each admitted namespace), only namespaced kinds (an empty
 * cluster resource whitelist, plus the kinds the bundle admits explicitly), only from the
 * repositories its Application uses, and as the bundle's service account when it names one (Argo CD
 * sync impersonation). It is Argo CD's own fence around what Kure already refuses at render time.
 */
export function appProject(bundle: BundleModel, cluster: ClusterModel, application: KubeObject): KubeObject {
  const namespaces = bundle.targetNamespace !== undefined ? [bundle.targetNamespace] : (bundle.tenants ?? []);
  const d = cluster.argocd.destination;
  const target = d.name !== undefined ? { name: d.name } : { server: d.server ?? IN_CLUSTER };
  const spec = application.spec as { source?: { repoURL: string }; sources?: { repoURL: string }[] };
  const repos = [...new Set([...(spec.source ? [spec.source] : []), ...(spec.sources ?? [])].map((s) => s.repoURL))];
  const sa = bundle.serviceAccountName;
  return {
    apiVersion: ARGO_API,
    kind: 'AppProject',
    metadata: {
      name: bundle.name,
      namespace: cluster.argocd.namespace,
      labels: { ...MANAGED_BY },
      // Before the bundle's Application (wave >= 1), which needs it.
      annotations: { [SYNC_WAVE]: '0' },
    },
    spec: compact({
      description: `Generated by Kure for KureBundle ${bundle.ref.namespace}/${bundle.name}, which admits applications from other namespaces`,
      sourceRepos: sortStrings(repos),
      destinations: namespaces.map((namespace) => ({ ...target, namespace })),
      clusterResourceWhitelist: (bundle.allowedClusterScopedKinds ?? []).map((k) => ({ group: k.group, kind: k.kind })),
      destinationServiceAccounts:
        sa === undefined ? undefined : namespaces.map((namespace) => ({ server: d.server ?? (d.name !== undefined ? '*' : IN_CLUSTER), namespace, defaultServiceAccount: sa })),
    }),
  };
}

/** The app-of-apps root: syncs `<repository.path>/apps` into argocd.namespace of the Argo CD cluster itself. */
export function rootApplication(cluster: ClusterModel): KubeObject {
  return {
    apiVersion: ARGO_API,
    kind: 'Application',
    metadata: { name: cluster.name, namespace: cluster.argocd.namespace, labels: { ...MANAGED_BY }, finalizers: [FINALIZER] },
    spec: {
      project: cluster.argocd.project,
      destination: { server: IN_CLUSTER, namespace: cluster.argocd.namespace },
      source: {
        repoURL: cluster.repository.url,
        targetRevision: cluster.repository.branch,
        path: argoPath(joinPath(cluster.repository.path, 'apps')),
      },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: -1, refresh: true, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
      },
    },
  };
}

export function renderArgo(cluster: ClusterModel, tree: Map<string, string>, collect?: Collect): void {
  const bundles = allBundles(cluster);
  const waves = syncWaves(bundles);
  const files = new Map<string, { object: KubeObject; bundle: BundleModel; field: string }>();
  for (const bundle of bundles) {
    const directory = bundleDirectory(bundle, cluster);
    const hasHelm = bundle.applications.some((a) => a.content.type === 'helm');
    // A bundle made only of Helm applications needs no directory; an empty one still gets an
    // (empty) directory so that its Application has a source.
    const writeDir = bundle.external === undefined && (directory.files.size > 0 || !hasHelm);
    if (writeDir) {
      const patches = kustomizePatches(bundle);
      writeBundleDirectory(tree, directory, { ...commonMetadataTransformers(bundle), ...(patches ? { patches } : {}) }, collect);
    }
    const app = argoApplication(bundle, cluster, waves.get(bundle.name) as number, directory.dir, writeDir);
    files.set(yamlFileName(bundle.name, 'application'), { object: app, bundle, field: 'spec' });
    if ((bundle.tenants?.length ?? 0) > 0)
      files.set(`projects/${bundle.name}.yaml`, { object: appProject(bundle, cluster, app), bundle, field: 'spec.allowedNamespaces' });
  }
  for (const [file, { object, bundle, field }] of files) {
    tree.set(`apps/${file}`, toYaml([object]));
    collect?.(`apps/${file}`, [object], bundle.ref, field);
  }
  tree.set('apps/kustomization.yaml', toYaml([kustomization([...files.keys()])]));

  const all = [...files.values()].map((f) => f.object);
  if (cluster.bootstrap) {
    const root = rootApplication(cluster);
    all.push(root);
    const file = yamlFileName(cluster.name, 'application');
    tree.set(`bootstrap/${file}`, toYaml([root]));
    tree.set('bootstrap/kustomization.yaml', toYaml([kustomization([file])]));
    collect?.(`bootstrap/${file}`, [root], cluster.ref, 'spec.gitops.bootstrap');
  }
  assertUniqueIds(all, `KureCluster ${cluster.ref.namespace}/${cluster.name}: Argo CD Applications and AppProjects`);
}
