// `helm`: a Flux HelmRelease plus its chart source (HelmRepository, or OCIRepository for oci://
// charts), or — on Argo CD — no files but a Helm source of the bundle's Application.
import type { HelmSpec } from '../../api/schema.js';
import type { ApplicationModel, BundleModel, ClusterModel } from '../../model/types.js';
import { compact, FLUX_HELM_API, FLUX_SOURCE_API, MANAGED_BY, nonEmpty, type KubeObject } from '../objects.js';

/** Media type of a Helm chart layer in an OCI artifact (what `helm push` writes). */
export const HELM_CHART_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

const OCI_SCHEME = 'oci://';

/** The name of the HelmRelease and of its chart source: the release name, else the application name. */
export function helmName(app: ApplicationModel, helm: HelmSpec): string {
  return helm.releaseName ?? app.name;
}

export function isOciChart(helm: HelmSpec): boolean {
  return helm.repository.url.startsWith(OCI_SCHEME);
}

/** `oci://registry/path/` → `oci://registry/path/<chart>` (an OCI artifact per chart). */
export function ociChartUrl(helm: HelmSpec): string {
  return `${helm.repository.url.replace(/\/+$/, '')}/${helm.chart}`;
}

/** An exact (semver-looking) version is an OCI tag; anything else is a semver range. */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * Flux: HelmRelease + chart source. Both live in flux.namespace with no namespace on the
 * references, so a bundle targetNamespace moves them together.
 */
export function helmObjects(app: ApplicationModel, bundle: BundleModel, cluster: ClusterModel): KubeObject[] {
  if (app.content.type !== 'helm' || cluster.engine !== 'flux') return [];
  const helm = app.content.helm;
  const name = helmName(app, helm);
  const metadata = { name, namespace: cluster.flux.namespace, labels: { ...MANAGED_BY } };
  let source: KubeObject;
  let chart: Record<string, unknown>;
  if (isOciChart(helm)) {
    const version = helm.version;
    const ref =
      version === undefined ? { semver: '*' } : EXACT_VERSION.test(version) ? { tag: version } : { semver: version };
    source = {
      apiVersion: FLUX_SOURCE_API,
      kind: 'OCIRepository',
      metadata: { ...metadata, labels: { ...MANAGED_BY } },
      spec: {
        interval: bundle.interval,
        url: ociChartUrl(helm),
        ref,
        layerSelector: { mediaType: HELM_CHART_MEDIA_TYPE, operation: 'copy' },
      },
    };
    chart = { chartRef: { kind: 'OCIRepository', name } };
  } else {
    source = {
      apiVersion: FLUX_SOURCE_API,
      kind: 'HelmRepository',
      metadata: { ...metadata, labels: { ...MANAGED_BY } },
      spec: { interval: bundle.interval, url: helm.repository.url },
    };
    chart = {
      chart: {
        spec: compact({ chart: helm.chart, version: helm.version, sourceRef: { kind: 'HelmRepository', name } }),
      },
    };
  }
  const release: KubeObject = {
    apiVersion: FLUX_HELM_API,
    kind: 'HelmRelease',
    metadata,
    spec: compact({
      interval: bundle.interval,
      ...chart,
      // Explicit: without it Flux names the release `<targetNamespace>-<name>`.
      releaseName: name,
      targetNamespace: helm.namespace,
      // Same namespace as this one (all of the bundle's HelmReleases live together).
      dependsOn: helm.dependsOn?.length ? helm.dependsOn.map((d) => ({ name: dependencyName(app, d.name, bundle) })) : undefined,
      install: nonEmpty(
        compact({
          createNamespace: helm.namespace === undefined ? undefined : true,
          remediation: nonEmpty(compact({ ...helm.install?.remediation })),
        }),
      ),
      upgrade: nonEmpty(compact({ remediation: nonEmpty(compact({ ...helm.upgrade?.remediation })) })),
      // In the HelmRelease's namespace: flux.namespace, or the bundle's targetNamespace that moves it.
      serviceAccountName: bundle.serviceAccountName,
      values: nonEmpty(helm.values),
      valuesFrom: helm.valuesFrom?.length ? helm.valuesFrom.map((v) => ({ ...v })) : undefined,
    }),
  };
  return [source, release];
}

/** What a HelmRelease reads of the other applications of its bundle (for the render memo): its dependencies' names. */
export function helmDependencyKey(app: ApplicationModel, bundle: BundleModel): string {
  if (app.content.type !== 'helm' || !app.content.helm.dependsOn?.length) return '';
  const helm = app.content.helm;
  return (helm.dependsOn ?? []).map((d) => {
    const dep = bundle.applications.find((a) => a.namespace === app.namespace && a.name === d.name);
    return dep?.content.type === 'helm' ? helmName(dep, dep.content.helm) : '';
  }).join(',');
}

/** The HelmRelease name of the helm application `name` of the bundle, in `app`'s namespace (validated by the model). */
function dependencyName(app: ApplicationModel, name: string, bundle: BundleModel): string {
  const dep = bundle.applications.find((a) => a.namespace === app.namespace && a.name === name);
  if (dep?.content.type !== 'helm')
    throw new Error(`render: KureApplication ${app.namespace}/${app.name}: helm.dependsOn names ${name}, which is no helm application of its bundle`);
  return helmName(dep, dep.content.helm);
}

/** Argo CD: the Helm source of the bundle's Application (multi-source form). */
export function argoHelmSource(app: ApplicationModel, helm: HelmSpec): Record<string, unknown> {
  const oci = isOciChart(helm);
  return {
    // Argo CD's Helm-over-OCI form: registry path without scheme, chart name separately (the
    // repository must be registered with enableOCI: true).
    repoURL: oci ? helm.repository.url.slice(OCI_SCHEME.length).replace(/\/+$/, '') : helm.repository.url,
    chart: helm.chart,
    targetRevision: helm.version ?? '*',
    helm: compact({
      releaseName: helmName(app, helm),
      namespace: helm.namespace,
      valuesObject: nonEmpty(helm.values),
    }),
  };
}
