// Everything `kure render` writes for the examples, built by real kustomize, is accepted by a real
// API server: server-side apply with dryRun=All and fieldValidation=Strict against the upstream
// Flux and Argo CD CRDs and the built-in kinds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { readTree } from '../../src/cli/write-tree.js';
import { applyCrdsFromDir, serverSideApply, serverSideDryRun, type KubeObject } from '../support/kube.js';
import { kustomizeBuild } from '../unit/render/helpers.js';

const CRDS = path.resolve(process.cwd(), '../shared/reference/crds');
/** Kinds from charts the examples use whose CRDs are not part of this test (cert-manager). */
const FOREIGN = new Set(['cert-manager.io/v1 ClusterIssuer']);

let out: string;
beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'kure-render-api-'));
  const code = await main(['render', '-f', 'examples/platform', '-o', out], { out: () => {}, err: () => {}, stdin: () => '' });
  expect(code).toBe(0);
  await applyCrdsFromDir(path.join(CRDS, 'flux'));
  await applyCrdsFromDir(path.join(CRDS, 'argo-cd'));
  for (const name of ['flux-system', 'argocd', 'web', 'team-a', 'cert-manager', 'monitoring'])
    await serverSideApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}, 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Directories Flux or Argo CD build: every directory with a kustomization.yaml. */
function kustomizeDirs(cluster: string): string[] {
  const root = path.join(out, 'clusters', cluster);
  return [...readTree(root).keys()].filter((p) => p.endsWith('kustomization.yaml')).map((p) => path.join(root, path.dirname(p)));
}

describe.each(['production', 'staging'])('examples: cluster %s', (cluster) => {
  it('every object of every directory passes strict server-side dry-run', async () => {
    const dirs = kustomizeDirs(cluster);
    expect(dirs.length).toBeGreaterThan(3);
    const checked: string[] = [];
    const rejected: string[] = [];
    for (const dir of dirs)
      for (const obj of kustomizeBuild(dir) as KubeObject[]) {
        const id = `${obj.apiVersion} ${obj.kind}`;
        if (FOREIGN.has(id)) continue;
        // Flux's targetNamespace or Argo CD's destination supplies missing namespaces; 'web' stands in.
        const withNs = obj.metadata?.namespace ? obj : { ...obj, metadata: { ...obj.metadata, namespace: 'web' } };
        try {
          await serverSideDryRun(withNs);
          checked.push(`${id} ${obj.metadata?.name}`);
        } catch (e) {
          rejected.push(`${path.relative(out, dir)}: ${id} ${obj.metadata?.name}: ${(e as Error).message}`);
        }
      }
    expect(rejected).toEqual([]);
    const kinds = new Set(checked.map((c) => c.split(' ').slice(0, 2).join(' ')));
    if (cluster === 'production')
      expect([...kinds]).toEqual(
        expect.arrayContaining([
          'kustomize.toolkit.fluxcd.io/v1 Kustomization',
          'source.toolkit.fluxcd.io/v1 GitRepository',
          'source.toolkit.fluxcd.io/v1 OCIRepository',
          'source.toolkit.fluxcd.io/v1 HelmRepository',
          'helm.toolkit.fluxcd.io/v2 HelmRelease',
          'apps/v1 Deployment',
          'v1 Service',
          'networking.k8s.io/v1 Ingress',
        ]),
      );
    else expect([...kinds]).toEqual(expect.arrayContaining(['argoproj.io/v1alpha1 Application', 'apps/v1 Deployment']));
  });
});

// The delivery fields (issue 10 item 4) on both engines: every generated Flux and Argo CD object,
// with patches, postBuild, health checks, force, helm valuesFrom, remediation and dependsOn, and the
// Argo CD sync options, ignoreDifferences and retry, passes strict server-side dry-run.
const delivery = (engine: 'flux' | 'argocd') => `
apiVersion: kure.dev/v1alpha1
kind: KureCluster
metadata: {name: delivery-${engine}, namespace: platform}
spec:
  gitops: {engine: ${engine}}
  repository: {url: "https://git.example.com/fleet.git"}
---
apiVersion: kure.dev/v1alpha1
kind: KureNode
metadata: {name: apps, namespace: platform}
spec: {clusterRef: {name: delivery-${engine}}}
---
apiVersion: kure.dev/v1alpha1
kind: KureBundle
metadata: {name: web, namespace: platform}
spec:
  nodeRef: {name: apps}
  targetNamespace: web
  patches:
    - patch: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"level": "debug"}}'
    - patch: |
        - op: add
          path: /metadata/labels/tier
          value: web
      target: {kind: ConfigMap}
  healthChecks: [{apiVersion: v1, kind: ConfigMap, name: settings}]
  healthCheckExprs: [{apiVersion: example.com/v1, kind: Widget, current: "status.ready == true"}]
${
  engine === 'flux'
    ? `  force: true
  postBuild: {substitute: {domain: example.com}, substituteFrom: [{kind: ConfigMap, name: cluster-vars, optional: true}]}`
    : `  argocd:
    syncOptions: [ServerSideApply=true, PruneLast=true]
    ignoreDifferences: [{group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}]
    retry: {limit: 5, backoff: {duration: 10s, factor: 2, maxDuration: 5m}}`
}
---
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: settings, namespace: platform}
spec:
  bundleRef: {name: web}
  manifests: [{apiVersion: v1, kind: ConfigMap, metadata: {name: settings, labels: {app: web}}, data: {level: info, host: "api.\${domain}"}}]
---
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: operator, namespace: platform}
spec:
  bundleRef: {name: web}
  helm:
    chart: operator
    version: 1.0.0
    repository: {url: "https://charts.example.com"}
    install: {remediation: {retries: 3, remediateLastFailure: true}}
    upgrade: {remediation: {retries: -1, strategy: uninstall}}
---
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: widgets, namespace: platform}
spec:
  bundleRef: {name: web}
  helm:
    chart: widgets
    version: 1.0.0
    repository: {url: "https://charts.example.com"}
    dependsOn: [{name: operator}]
${engine === 'flux' ? '    valuesFrom: [{kind: Secret, name: widget-db, valuesKey: password, targetPath: db.password}]' : ''}
`;

describe.each(['flux', 'argocd'] as const)('delivery fields (issue 10), %s', (engine) => {
  it('every generated object passes strict server-side dry-run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kure-render-delivery-'));
    try {
      writeFileSync(path.join(dir, 'in.yaml'), delivery(engine));
      const errors: string[] = [];
      const code = await main(['render', '-f', path.join(dir, 'in.yaml'), '-o', path.join(dir, 'out')], { out: () => {}, err: (s) => errors.push(s), stdin: () => '' });
      expect({ code, errors }).toEqual({ code: 0, errors: [] });
      const root = path.join(dir, 'out', 'clusters', `delivery-${engine}`);
      const dirs = [...readTree(root).keys()].filter((p) => p.endsWith('kustomization.yaml')).map((p) => path.join(root, path.dirname(p)));
      const checked: string[] = [];
      const rejected: string[] = [];
      for (const d of dirs)
        for (const obj of kustomizeBuild(d) as KubeObject[]) {
          const withNs = obj.metadata?.namespace ? obj : { ...obj, metadata: { ...obj.metadata, namespace: 'web' } };
          try {
            await serverSideDryRun(withNs);
            checked.push(`${obj.kind} ${obj.metadata?.name}`);
          } catch (e) {
            rejected.push(`${obj.kind} ${obj.metadata?.name}: ${(e as Error).message}`);
          }
        }
      expect(rejected).toEqual([]);
      expect(checked).toEqual(
        expect.arrayContaining(
          engine === 'flux' ? ['Kustomization web', 'HelmRelease operator', 'HelmRelease widgets', 'ConfigMap settings'] : ['Application web', 'ConfigMap settings'],
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
