import { parse } from 'yaml';
import { render, syncWaves } from '../../../src/render/index.js';
import type { ClusterModel } from '../../../src/model/types.js';
import { bundle, cluster, configMap, helmApp, manifestsApp, node, richCluster, workloadApp } from './fixtures.js';
import { parseDocs, type Obj } from './helpers.js';

const doc = (tree: Map<string, string>, file: string): Obj => {
  const text = tree.get(file);
  if (text === undefined) throw new Error(`no ${file} in ${[...tree.keys()].join(', ')}`);
  return parse(text) as Obj;
};
const spec = (o: Obj) => o.spec as Record<string, unknown>;

const small = (engine: 'flux' | 'argocd', bootstrap: boolean): ClusterModel =>
  cluster(engine, {
    bootstrap,
    nodes: [
      node('infra', {
        bundles: [bundle('cert-manager', { applications: [manifestsApp('crds', [configMap('x')])] })],
        children: [node('net', { bundles: [bundle('ingress', { dependsOn: ['cert-manager'], applications: [manifestsApp('nginx', [configMap('y')])] })] })],
      }),
    ],
  });

describe('layout', () => {
  test('flux, with bootstrap', () => {
    expect([...render(small('flux', true)).keys()]).toEqual([
      'flux-system/gotk-sync.yaml',
      'flux-system/kustomization.yaml',
      'flux/kustomization.yaml',
      'flux/kustomizations/cert-manager.yaml',
      'flux/kustomizations/ingress.yaml',
      'kustomization.yaml',
      'nodes/infra/cert-manager/crds.yaml',
      'nodes/infra/cert-manager/kustomization.yaml',
      'nodes/infra/net/ingress/kustomization.yaml',
      'nodes/infra/net/ingress/nginx.yaml',
    ]);
  });

  test('flux, without bootstrap: the root lists only flux/', () => {
    const tree = render(small('flux', false));
    expect([...tree.keys()].filter((k) => k.startsWith('flux-system'))).toEqual([]);
    expect(doc(tree, 'kustomization.yaml')).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['flux'],
    });
    expect(doc(tree, 'flux/kustomization.yaml').resources).toEqual(['kustomizations/cert-manager.yaml', 'kustomizations/ingress.yaml']);
  });

  test('argocd, with and without bootstrap', () => {
    expect([...render(small('argocd', true)).keys()]).toEqual([
      'apps/cert-manager.yaml',
      'apps/ingress.yaml',
      'apps/kustomization.yaml',
      'bootstrap/kustomization.yaml',
      'bootstrap/production.yaml',
      'nodes/infra/cert-manager/crds.yaml',
      'nodes/infra/cert-manager/kustomization.yaml',
      'nodes/infra/net/ingress/kustomization.yaml',
      'nodes/infra/net/ingress/nginx.yaml',
    ]);
    expect([...render(small('argocd', false)).keys()].filter((k) => k.startsWith('bootstrap'))).toEqual([]);
  });

  test('every file is YAML with a trailing newline; keys are sorted', () => {
    for (const engine of ['flux', 'argocd'] as const) {
      const tree = render(richCluster(engine, { bootstrap: true }));
      const keys = [...tree.keys()];
      expect(keys).toEqual([...keys].sort());
      for (const [k, v] of tree) {
        expect(k).toMatch(/^[a-z0-9][a-z0-9./-]*\.yaml$/);
        expect(v.endsWith('\n')).toBe(true);
        expect(() => parseDocs(v)).not.toThrow();
      }
    }
  });

  test('repository at the repository root', () => {
    const c = small('flux', true);
    c.repository.path = '';
    const tree = render(c);
    expect(spec(doc(tree, 'flux/kustomizations/cert-manager.yaml')).path).toBe('./nodes/infra/cert-manager');
    expect(spec(parseDocs(tree.get('flux-system/gotk-sync.yaml') as string)[1] as Obj).path).toBe('./');
    const a = small('argocd', true);
    a.repository.path = '';
    const atree = render(a);
    expect((spec(doc(atree, 'apps/cert-manager.yaml')).source as Record<string, unknown>).path).toBe('nodes/infra/cert-manager');
    expect((spec(doc(atree, 'bootstrap/production.yaml')).source as Record<string, unknown>).path).toBe('apps');
  });

  test('application file names: namespace-qualified only on a clash or for "kustomization"', () => {
    const c = cluster('flux', {
      nodes: [
        node('n', {
          bundles: [
            bundle('b', {
              applications: [
                manifestsApp('kustomization', [configMap('k')]),
                manifestsApp('same', [configMap('s1')], 'team-a'),
                manifestsApp('same', [configMap('s2')], 'team-b'),
                manifestsApp('solo', [configMap('solo')], 'team-b'),
                manifestsApp('nothing', []),
              ],
            }),
          ],
        }),
      ],
    });
    const tree = render(c);
    expect([...tree.keys()].filter((k) => k.startsWith('nodes/'))).toEqual([
      'nodes/n/b/kustomization.platform.yaml',
      'nodes/n/b/kustomization.yaml',
      'nodes/n/b/same.team-a.yaml',
      'nodes/n/b/same.team-b.yaml',
      'nodes/n/b/solo.yaml',
    ]);
    expect(doc(tree, 'nodes/n/b/kustomization.yaml').resources).toEqual([
      'kustomization.platform.yaml',
      'same.team-a.yaml',
      'same.team-b.yaml',
      'solo.yaml',
    ]);
  });

  test('a bundle or cluster named "kustomization" does not overwrite a kustomization.yaml (Argo CD)', () => {
    const c = cluster('argocd', {
      nodes: [node('n', { bundles: [bundle('kustomization', { applications: [manifestsApp('x', [configMap('x')])] })] })],
    });
    const tree = render(c);
    expect(doc(tree, 'apps/kustomization.yaml').resources).toEqual(['kustomization.application.yaml']);
    expect(doc(tree, 'apps/kustomization.application.yaml').kind).toBe('Application');
    const root = render(cluster('argocd', { name: 'kustomization', bootstrap: true, nodes: [node('n', { bundles: [bundle('b')] })] }));
    expect(doc(root, 'bootstrap/kustomization.yaml').resources).toEqual(['kustomization.application.yaml']);
    expect(doc(root, 'bootstrap/kustomization.application.yaml').metadata.name).toBe('kustomization');
  });
});

describe('determinism', () => {
  test('same model, same bytes (both engines)', () => {
    for (const engine of ['flux', 'argocd'] as const) {
      const a = render(richCluster(engine, { bootstrap: true }));
      const b = render(richCluster(engine, { bootstrap: true }));
      expect([...a.entries()]).toEqual([...b.entries()]);
    }
  });

  test('key order of generated objects is stable', () => {
    const tree = render(richCluster('flux'));
    const k = doc(tree, 'flux/kustomizations/web.yaml');
    expect(Object.keys(k)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(Object.keys(spec(k))).toEqual([
      'interval',
      'path',
      'prune',
      'wait',
      'sourceRef',
      'dependsOn',
      'targetNamespace',
      'commonMetadata',
    ]);
  });

  test('render does not mutate the model', () => {
    const c = richCluster('argocd', { bootstrap: true });
    const before = JSON.stringify(c);
    render(c);
    expect(JSON.stringify(c)).toBe(before);
  });
});

describe('flux', () => {
  const tree = render(richCluster('flux', { bootstrap: true }));
  const ks = (name: string) => doc(tree, `flux/kustomizations/${name}.yaml`);

  test('bundle Kustomization fields', () => {
    expect(ks('b')).toEqual({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'b', namespace: 'flux-system', labels: { 'app.kubernetes.io/managed-by': 'kure', 'kure.dev/cluster-namespace': 'platform', 'kure.dev/cluster': 'production', 'kure.dev/bundle-namespace': 'platform', 'kure.dev/bundle': 'b' } },
      spec: {
        interval: '10m',
        retryInterval: '2m',
        timeout: '5m',
        path: './clusters/production/nodes/infrastructure/b',
        prune: true,
        wait: true,
        sourceRef: { kind: 'GitRepository', name: 'flux-system' },
        dependsOn: [{ name: 'a' }],
      },
    });
  });

  test('suspend only when true; prune false kept', () => {
    expect(spec(ks('c')).suspend).toBe(true);
    expect(spec(ks('c')).prune).toBe(false);
    expect('suspend' in spec(ks('b'))).toBe(false);
  });

  test('targetNamespace and commonMetadata are mapped natively', () => {
    expect(spec(ks('web')).targetNamespace).toBe('web');
    expect(spec(ks('web')).commonMetadata).toEqual({ labels: { team: 'web' }, annotations: { 'example.com/owner': 'web-team' } });
    // ... so the bundle's kustomization.yaml carries no transformers
    expect(Object.keys(doc(tree, 'nodes/apps/web/kustomization.yaml'))).toEqual(['apiVersion', 'kind', 'resources']);
  });

  test('diamond dependsOn', () => {
    expect(spec(ks('bottom')).dependsOn).toEqual([{ name: 'left' }, { name: 'right' }]);
    expect(spec(ks('left')).dependsOn).toEqual([{ name: 'top' }]);
  });

  test('external bundles reference their node source', () => {
    expect(spec(ks('vendor-git-app'))).toMatchObject({ path: './deploy/production', sourceRef: { kind: 'GitRepository', name: 'vendor-git' } });
    expect(spec(ks('vendor-oci-app'))).toMatchObject({ path: './', sourceRef: { kind: 'OCIRepository', name: 'vendor-oci' } });
    expect(spec(ks('vendor-bucket-app'))).toMatchObject({ path: './prod', sourceRef: { kind: 'Bucket', name: 'vendor-bucket' } });
    expect([...tree.keys()].some((k) => k.includes('vendor'))).toBe(true);
    expect([...tree.keys()].some((k) => k.startsWith('nodes/vendor'))).toBe(false);
  });

  test('node sources', () => {
    expect(spec(doc(tree, 'flux/sources/vendor-git.yaml'))).toEqual({
      interval: '10m',
      url: 'https://github.com/acme/manifests.git',
      ref: { branch: 'release' },
      secretRef: { name: 'git-creds' },
    });
    expect(spec(doc(tree, 'flux/sources/vendor-oci.yaml'))).toEqual({
      interval: '5m',
      url: 'oci://ghcr.io/acme/platform-manifests',
      ref: { tag: 'v1.2.0' },
    });
    expect(spec(doc(tree, 'flux/sources/vendor-bucket.yaml'))).toEqual({
      interval: '10m',
      provider: 'aws',
      endpoint: 's3.amazonaws.com',
      bucketName: 'acme-manifests',
      prefix: 'platform',
      secretRef: { name: 's3-creds' },
    });
  });

  test('OCI commit is a digest; git refs map 1:1; no ref stays unset', () => {
    const c = cluster('flux', {
      nodes: [
        node('o', { source: { kind: 'OCIRepository', url: 'oci://r/x', ref: { commit: 'sha256:abc' } } }),
        node('g', { source: { kind: 'GitRepository', url: 'ssh://git@h/x', ref: { semver: '>=1.0.0' } } }),
        node('h', { source: { kind: 'GitRepository', url: 'https://h/x' } }),
      ],
    });
    const t = render(c);
    expect(spec(doc(t, 'flux/sources/o.yaml')).ref).toEqual({ digest: 'sha256:abc' });
    expect(spec(doc(t, 'flux/sources/g.yaml')).ref).toEqual({ semver: '>=1.0.0' });
    expect('ref' in spec(doc(t, 'flux/sources/h.yaml'))).toBe(false);
  });

  test('bootstrap: gotk-sync as flux bootstrap writes it', () => {
    expect(parseDocs(tree.get('flux-system/gotk-sync.yaml') as string)).toEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'flux-system', namespace: 'flux-system' },
        spec: { interval: '1m0s', ref: { branch: 'main' }, secretRef: { name: 'flux-system' }, url: 'https://git.example.com/platform/fleet.git' },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'flux-system', namespace: 'flux-system' },
        spec: { interval: '10m0s', path: './clusters/production', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
      },
    ]);
    expect(doc(tree, 'flux-system/kustomization.yaml').resources).toEqual(['gotk-sync.yaml']);
    expect(doc(tree, 'kustomization.yaml').resources).toEqual(['flux', 'flux-system']);
  });

  test('custom flux namespace and source name', () => {
    const c = small('flux', true);
    c.flux = { namespace: 'gitops', sourceRef: { kind: 'GitRepository', name: 'fleet' } };
    const t = render(c);
    const [repo, root] = parseDocs(t.get('flux-system/gotk-sync.yaml') as string) as [Obj, Obj];
    expect(repo.metadata).toEqual({ name: 'fleet', namespace: 'gitops' });
    expect(spec(repo).secretRef).toEqual({ name: 'fleet' });
    expect(root.metadata).toEqual({ name: 'fleet', namespace: 'gitops' });
    expect(doc(t, 'flux/kustomizations/ingress.yaml').metadata.namespace).toBe('gitops');
    expect(spec(doc(t, 'flux/kustomizations/ingress.yaml')).sourceRef).toEqual({ kind: 'GitRepository', name: 'fleet' });
  });

  test('bootstrap with a non-Git cluster source is refused', () => {
    const c = small('flux', true);
    c.flux.sourceRef = { kind: 'OCIRepository', name: 'fleet' };
    expect(() => render(c)).toThrow(/bootstrap needs gitops.flux.sourceRef.kind GitRepository/);
    c.bootstrap = false;
    expect(spec(doc(render(c), 'flux/kustomizations/ingress.yaml')).sourceRef).toEqual({ kind: 'OCIRepository', name: 'fleet' });
  });

  test('duplicate Flux object ids are refused (bundle named like the bootstrap Kustomization)', () => {
    const c = cluster('flux', { bootstrap: true, nodes: [node('n', { bundles: [bundle('flux-system')] })] });
    expect(() => render(c)).toThrow(/two objects Kustomization flux-system\/flux-system/);
  });

  test('empty bundles still get a directory (their Kustomization must find its path)', () => {
    expect(doc(tree, 'nodes/diamond/empty/kustomization.yaml').resources).toEqual([]);
  });
});

describe('argocd', () => {
  const tree = render(richCluster('argocd', { bootstrap: true }));
  const app = (name: string) => doc(tree, `apps/${name}.yaml`);
  const wave = (name: string) => (app(name).metadata.annotations as Record<string, string>)['argocd.argoproj.io/sync-wave'];

  test('waves: chain 1,2,3,4 and diamond 1,2,2,3', () => {
    expect([wave('a'), wave('b'), wave('c'), wave('web')]).toEqual(['1', '2', '3', '4']);
    expect([wave('top'), wave('left'), wave('right'), wave('bottom')]).toEqual(['1', '2', '2', '3']);
    expect([wave('empty'), wave('vendor-oci-app')]).toEqual(['1', '2']);
    expect(tree.get('apps/web.yaml')).toContain('argocd.argoproj.io/sync-wave: "4"');
  });

  test('syncWaves rejects unknown dependencies and cycles', () => {
    expect(() => syncWaves([bundle('x', { dependsOn: ['nope'] })])).toThrow(/unknown bundle "nope"/);
    expect(() => syncWaves([bundle('x', { dependsOn: ['y'] }), bundle('y', { dependsOn: ['x'] })])).toThrow(/cycle/);
  });

  test('Application for a plain bundle', () => {
    expect(app('b')).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'b',
        namespace: 'argocd',
        labels: { 'app.kubernetes.io/managed-by': 'kure', 'kure.dev/cluster-namespace': 'platform', 'kure.dev/cluster': 'production', 'kure.dev/bundle-namespace': 'platform', 'kure.dev/bundle': 'b' },
        annotations: { 'argocd.argoproj.io/sync-wave': '2' },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: 'default',
        destination: { server: 'https://kubernetes.default.svc' },
        source: {
          repoURL: 'https://git.example.com/platform/fleet.git',
          targetRevision: 'main',
          path: 'clusters/production/nodes/infrastructure/b',
        },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          retry: { limit: -1, refresh: true, backoff: { duration: '2m', factor: 2, maxDuration: '2m' } },
        },
      },
    });
  });

  test('suspend drops automated sync; prune follows the bundle', () => {
    expect('automated' in (spec(app('c')).syncPolicy as Record<string, unknown>)).toBe(false);
    const c = richCluster('argocd');
    const bundleC = c.nodes[1]?.bundles[2];
    if (bundleC === undefined) throw new Error('fixture');
    bundleC.suspend = false;
    const t = render(c);
    expect((spec(doc(t, 'apps/c.yaml')).syncPolicy as Record<string, unknown>).automated).toEqual({ prune: false, selfHeal: true });
  });

  test('targetNamespace → destination.namespace + CreateNamespace', () => {
    expect(spec(app('web')).destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'web' });
    expect((spec(app('web')).syncPolicy as Record<string, unknown>).syncOptions).toEqual(['CreateNamespace=true']);
    expect('syncOptions' in (spec(app('b')).syncPolicy as Record<string, unknown>)).toBe(false);
  });

  test('destination by name', () => {
    const c = small('argocd', true);
    c.argocd = { namespace: 'gitops', project: 'platform', destination: { name: 'edge-1' } };
    const t = render(c);
    const a = doc(t, 'apps/ingress.yaml');
    expect(a.metadata.namespace).toBe('gitops');
    expect(spec(a).project).toBe('platform');
    expect(spec(a).destination).toEqual({ name: 'edge-1' });
    // the root app-of-apps always targets the Argo CD cluster itself
    expect(spec(doc(t, 'bootstrap/production.yaml')).destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'gitops' });
  });

  test('destination server defaults to in-cluster', () => {
    const c = small('argocd', false);
    c.argocd.destination = {};
    expect(spec(doc(render(c), 'apps/ingress.yaml')).destination).toEqual({ server: 'https://kubernetes.default.svc' });
  });

  test('commonMetadata goes into the bundle kustomization.yaml (Flux semantics: metadata only)', () => {
    const k = doc(tree, 'nodes/apps/web/kustomization.yaml');
    expect(k.labels).toEqual([{ pairs: { team: 'web' } }]);
    expect(k.transformers).toHaveLength(1);
    expect(parse((k.transformers as string[])[0] as string)).toEqual({
      apiVersion: 'builtin',
      kind: 'AnnotationsTransformer',
      metadata: { name: 'common-annotations' },
      annotations: { 'example.com/owner': 'web-team' },
      fieldSpecs: [{ path: 'metadata/annotations', create: true }],
    });
    expect('kustomize' in (spec(app('web')).source as Record<string, unknown>)).toBe(false);
  });

  test('helm applications become Helm sources (multi-source), https and oci', () => {
    expect(spec(app('metrics')).sources).toEqual([
      { repoURL: 'https://git.example.com/platform/fleet.git', targetRevision: 'main', path: 'clusters/production/nodes/infrastructure/monitoring/metrics' },
      {
        repoURL: 'https://prometheus-community.github.io/helm-charts',
        chart: 'kube-prometheus-stack',
        targetRevision: '61.3.0',
        helm: { releaseName: 'prometheus', namespace: 'monitoring', valuesObject: { grafana: { enabled: false }, alertmanager: { enabled: true } } },
      },
      { repoURL: 'ghcr.io/stefanprodan/charts', chart: 'podinfo', targetRevision: '6.7.1', helm: { releaseName: 'podinfo' } },
    ]);
    expect('source' in spec(app('metrics'))).toBe(false);
    expect([...tree.keys()].filter((k) => k.startsWith('nodes/infrastructure/monitoring/metrics/'))).toEqual([
      'nodes/infrastructure/monitoring/metrics/dashboards.yaml',
      'nodes/infrastructure/monitoring/metrics/kustomization.yaml',
    ]);
  });

  test('a helm-only bundle has no directory and only Helm sources', () => {
    expect(spec(app('helm-only')).sources).toEqual([
      { repoURL: 'registry-1.docker.io/bitnamicharts', chart: 'redis', targetRevision: '>=20.0.0', helm: { releaseName: 'redis' } },
    ]);
    expect([...tree.keys()].some((k) => k.includes('helm-only/'))).toBe(false);
  });

  test('helm without version tracks any version', () => {
    const c = cluster('argocd', {
      nodes: [node('n', { bundles: [bundle('b', { applications: [helmApp('h', { chart: 'c', repository: { url: 'https://charts.example.com' } })] })] })],
    });
    expect(spec(doc(render(c), 'apps/b.yaml')).sources).toEqual([
      { repoURL: 'https://charts.example.com', chart: 'c', targetRevision: '*', helm: { releaseName: 'h' } },
    ]);
  });

  test('external bundles: Git and OCI sources; kustomize overrides for commonMetadata', () => {
    expect(spec(app('vendor-git-app')).source).toEqual({
      repoURL: 'https://github.com/acme/manifests.git',
      targetRevision: 'release',
      path: 'deploy/production',
    });
    expect(spec(app('vendor-oci-app')).source).toEqual({
      repoURL: 'oci://ghcr.io/acme/platform-manifests',
      targetRevision: 'v1.2.0',
      path: '.',
      kustomize: { commonLabels: { vendor: 'acme' }, labelWithoutSelector: true },
    });
  });

  test('external bundle: annotations only, no ref', () => {
    const src = { kind: 'GitRepository' as const, url: 'https://h/x.git' };
    const c = cluster('argocd', {
      nodes: [
        node('n', {
          source: src,
          bundles: [bundle('b', { commonMetadata: { annotations: { a: 'b' } }, external: { node: 'n', source: src, path: 'x' } })],
        }),
      ],
    });
    expect(spec(doc(render(c), 'apps/b.yaml')).source).toEqual({ repoURL: 'https://h/x.git', path: 'x', kustomize: { commonAnnotations: { a: 'b' } } });
  });

  test('a Bucket source on Argo CD throws', () => {
    const src = { kind: 'Bucket' as const, url: 's3://b' };
    const c = cluster('argocd', { nodes: [node('n', { source: src, bundles: [bundle('b', { external: { node: 'n', source: src, path: 'x' } })] })] });
    expect(() => render(c)).toThrow(/Bucket source cannot be used with Argo CD/);
  });

  test('root app-of-apps', () => {
    expect(doc(tree, 'bootstrap/production.yaml')).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'production',
        namespace: 'argocd',
        labels: { 'app.kubernetes.io/managed-by': 'kure' },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: 'default',
        destination: { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
        source: { repoURL: 'https://git.example.com/platform/fleet.git', targetRevision: 'main', path: 'clusters/production/apps' },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          retry: { limit: -1, refresh: true, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
        },
      },
    });
  });

  test('a bundle named like the cluster clashes with the root Application', () => {
    const c = cluster('argocd', { bootstrap: true, nodes: [node('n', { bundles: [bundle('production')] })] });
    expect(() => render(c)).toThrow(/two objects Application argocd\/production/);
  });
});

describe('errors', () => {
  test('duplicate object ids inside a bundle', () => {
    const c = cluster('flux', {
      nodes: [node('n', { bundles: [bundle('b', { applications: [manifestsApp('x', [configMap('same')]), manifestsApp('y', [configMap('same')])] })] })],
    });
    expect(() => render(c)).toThrow(/KureBundle platform\/b: two objects ConfigMap same/);
  });

  test('ingress without ports or service', () => {
    const c = cluster('flux', {
      nodes: [node('n', { bundles: [bundle('b', { applications: [workloadApp('w', { image: 'x', ingress: { host: 'h.example.com' } })] })] })],
    });
    expect(() => render(c)).toThrow(/workload.ingress needs workload.ports or workload.service/);
  });

  test('unknown engine', () => {
    const c = cluster('flux');
    (c as { engine: string }).engine = 'jenkins';
    expect(() => render(c)).toThrow(/unknown engine "jenkins"/);
  });
});
