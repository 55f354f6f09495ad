// Small factories for ClusterModel literals (defaults already applied, as src/model would).
import type { HelmSpec, NodeSource, WorkloadSpec } from '../../../src/api/schema.js';
import type {
  ApplicationModel,
  BundleModel,
  ClusterModel,
  EngineName,
  NodeModel,
} from '../../../src/model/types.js';

export const NS = 'platform';

type BundleOpts = Partial<Omit<BundleModel, 'name' | 'ref' | 'nodePath'>>;
type NodeOpts = { source?: NodeSource; children?: NodeModel[]; bundles?: BundleModel[] };
type ClusterOpts = Partial<Omit<ClusterModel, 'engine' | 'nodes' | 'ref'>> & { nodes?: NodeModel[] };

export function app(name: string, content: ApplicationModel['content'], namespace = NS): ApplicationModel {
  const spec =
    content.type === 'manifests'
      ? { bundleRef: { name: 'x' }, manifests: content.manifests }
      : content.type === 'helm'
        ? { bundleRef: { name: 'x' }, helm: content.helm }
        : { bundleRef: { name: 'x' }, workload: content.workload };
  return { ref: { kind: 'KureApplication', namespace, name }, name, namespace, content, spec };
}

export const manifestsApp = (name: string, manifests: Record<string, unknown>[], namespace = NS) =>
  app(name, { type: 'manifests', manifests }, namespace);
export const helmApp = (name: string, helm: HelmSpec, namespace = NS) => app(name, { type: 'helm', helm }, namespace);
export const workloadApp = (name: string, workload: WorkloadSpec, namespace = NS) =>
  app(name, { type: 'workload', workload }, namespace);

export const configMap = (name: string, data: Record<string, string> = { a: '1' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

export function bundle(name: string, opts: BundleOpts = {}): BundleModel {
  return {
    ref: { kind: 'KureBundle', namespace: NS, name },
    name,
    nodePath: [],
    dependsOn: [],
    interval: '10m',
    prune: true,
    wait: false,
    suspend: false,
    applications: [],
    ...opts,
  };
}

export function node(name: string, opts: NodeOpts = {}): NodeModel {
  return {
    ref: { kind: 'KureNode', namespace: NS, name },
    name,
    path: [name],
    ...(opts.source === undefined ? {} : { source: opts.source }),
    children: opts.children ?? [],
    bundles: opts.bundles ?? [],
  };
}

/** Fixes node paths and bundle nodePaths from the tree shape (like the assembler does). */
function fixPaths(nodes: NodeModel[], parent: string[]): void {
  for (const n of nodes) {
    n.path = [...parent, n.name];
    for (const b of n.bundles) b.nodePath = n.path;
    fixPaths(n.children, n.path);
  }
}

export function cluster(engine: EngineName, opts: ClusterOpts = {}): ClusterModel {
  const name = opts.name ?? 'production';
  const nodes = opts.nodes ?? [];
  fixPaths(nodes, []);
  return {
    ref: { kind: 'KureCluster', namespace: NS, name },
    name,
    engine,
    flux: { namespace: 'flux-system', sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
    argocd: { namespace: 'argocd', project: 'default', destination: { server: 'https://kubernetes.default.svc' } },
    bootstrap: false,
    repository: {
      url: 'https://git.example.com/platform/fleet.git',
      branch: 'main',
      path: `clusters/${name}`,
      author: { name: 'Kure', email: 'kure@localhost' },
    },
    deletionPolicy: 'Retain',
    suspend: false,
    ...opts,
    nodes,
  };
}

/**
 * A cluster that exercises most features: nested nodes, a dependsOn chain (a → b → c) and a
 * diamond (top → left/right → bottom), helm https + oci, workloads, manifests, external sources of
 * each kind (Bucket only for Flux), suspend, targetNamespace, commonMetadata.
 */
export function richCluster(engine: EngineName, opts: ClusterOpts = {}): ClusterModel {
  const argo = engine === 'argocd';
  return cluster(engine, {
    ...opts,
    nodes: [
      node('apps', {
        bundles: [
          bundle('web', {
            dependsOn: ['c'],
            targetNamespace: 'web',
            commonMetadata: { labels: { team: 'web' }, annotations: { 'example.com/owner': 'web-team' } },
            applications: [
              workloadApp('frontend', {
                image: 'ghcr.io/acme/frontend:1.4.2',
                replicas: 2,
                ports: [{ name: 'http', containerPort: 8080 }],
                env: [{ name: 'LOG_LEVEL', value: 'info' }],
                resources: { requests: { cpu: '100m', memory: '128Mi' } },
                service: { port: 80 },
                ingress: { host: 'www.example.com', className: 'nginx' },
              }),
              workloadApp('worker', { image: 'ghcr.io/acme/worker:1.0.0' }),
              manifestsApp('settings', [configMap('settings', { mode: 'on' })]),
            ],
          }),
        ],
      }),
      node('infrastructure', {
        bundles: [
          bundle('a', { wait: true, applications: [manifestsApp('ns', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }])] }),
          bundle('b', { dependsOn: ['a'], wait: true, retryInterval: '2m', timeout: '5m', applications: [manifestsApp('cm', [configMap('b')])] }),
          bundle('c', { dependsOn: ['b'], wait: true, suspend: true, prune: false, applications: [manifestsApp('cm', [configMap('c')])] }),
        ],
        children: [
          node('monitoring', {
            bundles: [
              bundle('metrics', {
                targetNamespace: 'monitoring',
                applications: [
                  helmApp('prometheus', {
                    chart: 'kube-prometheus-stack',
                    version: '61.3.0',
                    repository: { url: 'https://prometheus-community.github.io/helm-charts' },
                    releaseName: 'prometheus',
                    namespace: 'monitoring',
                    values: { grafana: { enabled: false }, alertmanager: { enabled: true } },
                  }),
                  helmApp('podinfo', {
                    chart: 'podinfo',
                    version: '6.7.1',
                    repository: { url: 'oci://ghcr.io/stefanprodan/charts' },
                  }),
                  manifestsApp('dashboards', [configMap('dashboards')]),
                ],
              }),
              bundle('helm-only', {
                applications: [
                  helmApp('redis', { chart: 'redis', version: '>=20.0.0', repository: { url: 'oci://registry-1.docker.io/bitnamicharts/' } }),
                ],
              }),
            ],
          }),
        ],
      }),
      node('diamond', {
        bundles: [
          bundle('bottom', { dependsOn: ['left', 'right'], applications: [manifestsApp('cm', [configMap('bottom')])] }),
          bundle('left', { dependsOn: ['top'], wait: true, applications: [manifestsApp('cm', [configMap('left')])] }),
          bundle('right', { dependsOn: ['top'], wait: true, applications: [manifestsApp('cm', [configMap('right')])] }),
          bundle('top', { wait: true, applications: [manifestsApp('cm', [configMap('top')])] }),
          bundle('empty'),
        ],
      }),
      node('vendor-git', {
        source: { kind: 'GitRepository', url: 'https://github.com/acme/manifests.git', ref: { branch: 'release' }, secretRef: { name: 'git-creds' } },
        bundles: [bundle('vendor-git-app', { external: { node: 'vendor-git', source: { kind: 'GitRepository', url: 'https://github.com/acme/manifests.git', ref: { branch: 'release' } }, path: 'deploy/production' } })],
      }),
      node('vendor-oci', {
        source: { kind: 'OCIRepository', url: 'oci://ghcr.io/acme/platform-manifests', ref: { tag: 'v1.2.0' }, interval: '5m' },
        children: [
          node('nested', {
            bundles: [
              bundle('vendor-oci-app', {
                dependsOn: ['a'],
                commonMetadata: { labels: { vendor: 'acme' } },
                external: { node: 'vendor-oci', source: { kind: 'OCIRepository', url: 'oci://ghcr.io/acme/platform-manifests', ref: { tag: 'v1.2.0' } }, path: './' },
              }),
            ],
          }),
        ],
      }),
      ...(argo
        ? []
        : [
            node('vendor-bucket', {
              source: { kind: 'Bucket', url: 's3://acme-manifests/platform', secretRef: { name: 's3-creds' } },
              bundles: [bundle('vendor-bucket-app', { external: { node: 'vendor-bucket', source: { kind: 'Bucket', url: 's3://acme-manifests/platform' }, path: 'prod/' } })],
            }),
          ]),
    ],
  });
}
