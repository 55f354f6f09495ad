// Kure resources as YAML text, for unit tests that go through the reader (parseResources) like
// `kure render` does: a cluster `prod`, nodes, bundles and applications in namespace `platform`.

export const cluster = (engine = 'flux') => `
apiVersion: kure.dev/v1alpha1
kind: KureCluster
metadata: {name: prod, namespace: platform}
spec:
  gitops: {engine: ${engine}}
  repository: {url: https://git.example.com/fleet.git}
`;

export const node = (name = 'infra', source = '') => `
apiVersion: kure.dev/v1alpha1
kind: KureNode
metadata: {name: ${name}, namespace: platform}
spec: {clusterRef: {name: prod}${source ? `, source: ${source}` : ''}}
`;

export const bundle = (name: string, spec = '', nodeName = 'infra') => `
apiVersion: kure.dev/v1alpha1
kind: KureBundle
metadata: {name: ${name}, namespace: platform}
spec: {nodeRef: {name: ${nodeName}}${spec ? `, ${spec}` : ''}}
`;

/** An application in `ns`; from another namespace it attaches to the bundle in `platform`. */
export const app = (name: string, spec: string, ns = 'platform', bundleName = 'web') => `
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: ${name}, namespace: ${ns}}
spec: {bundleRef: {name: ${bundleName}${ns === 'platform' ? '' : ', namespace: platform'}}, ${spec}}
`;

export const helm = (chart: string, extra = '') =>
  `helm: {chart: ${chart}, version: 1.0.0, repository: {url: "https://charts.example.com"}${extra ? `, ${extra}` : ''}}`;
