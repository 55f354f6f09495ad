import { parse } from 'yaml';
import { applicationObjects, argoHelmSource, bucketLocation, helmObjects, manifestsObjects, render, toYaml, workloadObjects } from '../../../src/render/index.js';
import { bundle, cluster, helmApp, manifestsApp, node, workloadApp } from './fixtures.js';

const flux = cluster('flux');
const argo = cluster('argocd');
const b = bundle('b', { interval: '5m' });

describe('manifests', () => {
  test('objects are kept as given, apiVersion, kind and metadata first', () => {
    const raw = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      data: { on: 'yes', mode: '0755', n: '1' },
      metadata: { namespace: 'x', name: 'settings', annotations: { z: '1', a: '2' } },
    };
    const app = manifestsApp('m', [raw]);
    const out = manifestsObjects(app, b, flux);
    expect(out).toEqual([raw]);
    const text = toYaml(out);
    expect(text.split('\n').slice(0, 3)).toEqual(['apiVersion: v1', 'kind: ConfigMap', 'metadata:']);
    // YAML 1.1 readers (kubectl, kustomize) must read the same strings back
    expect(text).toContain('"on": "yes"');
    expect(text).toContain('mode: "0755"');
    expect(parse(text)).toEqual(raw);
  });

  test('multi-document output', () => {
    const app = manifestsApp('m', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }]);
    expect(toYaml(applicationObjects(app, b, flux))).toBe(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
    );
  });

  test('generators ignore other content types', () => {
    const w = workloadApp('w', { image: 'x' });
    expect(manifestsObjects(w, b, flux)).toEqual([]);
    expect(helmObjects(w, b, flux)).toEqual([]);
    expect(workloadObjects(manifestsApp('m', []), b, flux)).toEqual([]);
  });
});

describe('helm on Flux', () => {
  test('https chart: HelmRepository + HelmRelease', () => {
    const app = helmApp('prom', {
      chart: 'kube-prometheus-stack',
      version: '61.3.0',
      repository: { url: 'https://prometheus-community.github.io/helm-charts' },
      releaseName: 'prometheus',
      namespace: 'monitoring',
      values: { a: { b: 1 } },
    });
    expect(helmObjects(app, b, flux)).toEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: 'prometheus', namespace: 'flux-system', labels: { 'app.kubernetes.io/managed-by': 'kure' } },
        spec: { interval: '5m', url: 'https://prometheus-community.github.io/helm-charts' },
      },
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'prometheus', namespace: 'flux-system', labels: { 'app.kubernetes.io/managed-by': 'kure' } },
        spec: {
          interval: '5m',
          chart: { spec: { chart: 'kube-prometheus-stack', version: '61.3.0', sourceRef: { kind: 'HelmRepository', name: 'prometheus' } } },
          releaseName: 'prometheus',
          targetNamespace: 'monitoring',
          install: { createNamespace: true },
          values: { a: { b: 1 } },
        },
      },
    ]);
  });

  test('https chart without version, namespace or values', () => {
    const [, release] = helmObjects(helmApp('h', { chart: 'c', repository: { url: 'https://charts.example.com' }, values: {} }), b, flux);
    expect(release?.spec).toEqual({
      interval: '5m',
      chart: { spec: { chart: 'c', sourceRef: { kind: 'HelmRepository', name: 'h' } } },
      releaseName: 'h',
    });
  });

  test('oci chart: OCIRepository (helm layer) + chartRef', () => {
    const [source, release] = helmObjects(
      helmApp('podinfo', { chart: 'podinfo', version: '6.7.1', repository: { url: 'oci://ghcr.io/stefanprodan/charts/' } }),
      b,
      flux,
    );
    expect(source).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'OCIRepository',
      metadata: { name: 'podinfo', namespace: 'flux-system', labels: { 'app.kubernetes.io/managed-by': 'kure' } },
      spec: {
        interval: '5m',
        url: 'oci://ghcr.io/stefanprodan/charts/podinfo',
        ref: { tag: '6.7.1' },
        layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
      },
    });
    expect(release?.spec).toEqual({ interval: '5m', chartRef: { kind: 'OCIRepository', name: 'podinfo' }, releaseName: 'podinfo' });
  });

  test('oci chart: ranges become semver refs, no version is any version', () => {
    const ref = (version?: string) =>
      (helmObjects(helmApp('x', { chart: 'x', repository: { url: 'oci://r/c' }, ...(version === undefined ? {} : { version }) }), b, flux)[0]
        ?.spec as { ref: unknown }).ref;
    expect(ref('>=1.0.0 <2.0.0')).toEqual({ semver: '>=1.0.0 <2.0.0' });
    expect(ref('v1.2.3-rc.1')).toEqual({ tag: 'v1.2.3-rc.1' });
    expect(ref(undefined)).toEqual({ semver: '*' });
  });

  test('no objects on Argo CD; a Helm source instead', () => {
    const app = helmApp('h', { chart: 'c', version: '1.0.0', repository: { url: 'oci://ghcr.io/org/charts' }, releaseName: 'rel', values: { x: 1 } });
    expect(helmObjects(app, b, argo)).toEqual([]);
    expect(app.content.type === 'helm' && argoHelmSource(app, app.content.helm)).toEqual({
      repoURL: 'ghcr.io/org/charts',
      chart: 'c',
      targetRevision: '1.0.0',
      helm: { releaseName: 'rel', valuesObject: { x: 1 } },
    });
  });
});

describe('workload', () => {
  const securityContext = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  const labels = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/managed-by': 'kure' };

  test('image only: a Deployment, 1 replica, no Service', () => {
    expect(workloadObjects(workloadApp('web', { image: 'nginx:1.27' }), b, flux)).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', securityContext }] } },
        },
      },
    ]);
  });

  test('full: Deployment + Service (named target port) + Ingress', () => {
    const out = workloadObjects(
      workloadApp('web', {
        image: 'nginx:1.27',
        replicas: 3,
        ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }],
        env: [{ name: 'A', value: 'b' }, { name: 'EMPTY' }],
        resources: { requests: { cpu: '100m' }, limits: { memory: 256 } },
        service: { port: 80 },
        ingress: { host: 'www.example.com', path: '/app', className: 'nginx' },
      }),
      b,
      flux,
    );
    expect(out.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'Ingress']);
    const deployment = out[0] as unknown as { spec: { replicas: number; template: { spec: { containers: unknown[] } } } };
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers).toEqual([
      {
        name: 'web',
        image: 'nginx:1.27',
        ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }],
        env: [{ name: 'A', value: 'b' }, { name: 'EMPTY' }],
        resources: { requests: { cpu: '100m' }, limits: { memory: 256 } },
        securityContext,
      },
    ]);
    expect(out[1]).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels },
      spec: { selector: { 'app.kubernetes.io/name': 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
    });
    expect(out[2]).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', labels },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'www.example.com', http: { paths: [{ path: '/app', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    for (const o of out) expect(o.metadata.namespace).toBeUndefined();
  });

  test('ports only: Service port = first containerPort; unnamed target is the number', () => {
    const out = workloadObjects(workloadApp('web', { image: 'x', ports: [{ containerPort: 8080 }], ingress: { host: 'h.example.com' } }), b, flux);
    expect((out[1]?.spec as { ports: unknown }).ports).toEqual([{ port: 8080, targetPort: 8080, protocol: 'TCP' }]);
    expect((out[2]?.spec as { rules: { http: { paths: { path: string }[] } }[] }).rules[0]?.http.paths[0]?.path).toBe('/');
    expect('ingressClassName' in (out[2]?.spec as object)).toBe(false);
  });

  test('service without ports targets the service port', () => {
    const out = workloadObjects(workloadApp('web', { image: 'x', replicas: 0, service: { port: 8080 } }), b, flux);
    expect((out[0]?.spec as { replicas: number }).replicas).toBe(0);
    expect((out[1]?.spec as { ports: unknown }).ports).toEqual([{ port: 8080, targetPort: 8080, protocol: 'TCP' }]);
  });
});

describe('Bucket URLs', () => {
  test.each([
    ['s3://bucket', { provider: 'aws', endpoint: 's3.amazonaws.com', bucketName: 'bucket' }],
    ['gs://bucket/a/b/', { provider: 'gcp', endpoint: 'storage.googleapis.com', bucketName: 'bucket', prefix: 'a/b' }],
    ['https://acct.blob.core.windows.net/cont/p', { provider: 'azure', endpoint: 'https://acct.blob.core.windows.net', bucketName: 'cont', prefix: 'p' }],
    ['https://minio.example.com:9000/bucket', { provider: 'generic', endpoint: 'minio.example.com:9000', bucketName: 'bucket' }],
    ['http://minio:9000/bucket/x', { provider: 'generic', endpoint: 'minio:9000', bucketName: 'bucket', insecure: true, prefix: 'x' }],
  ])('%s', (url, expected) => {
    expect(bucketLocation(url)).toEqual(expected);
  });

  test.each(['minio/bucket', 'ftp://h/b', 'https://h', 'https://h/'])('%s is refused', (url) => {
    expect(() => bucketLocation(url)).toThrow(/Bucket url/);
  });

  test('rendered into the Flux Bucket', () => {
    const src = { kind: 'Bucket' as const, url: 'http://minio:9000/b' };
    const tree = render(cluster('flux', { nodes: [node('n', { source: src, bundles: [bundle('x', { external: { node: 'n', source: src, path: '.' } })] })] }));
    expect(parse(tree.get('flux/sources/n.yaml') as string).spec).toEqual({
      interval: '10m',
      provider: 'generic',
      endpoint: 'minio:9000',
      bucketName: 'b',
      insecure: true,
    });
  });
});
