// What the delivery fields (issue 10 item 4) render to, for Flux and Argo CD: exact objects, each one
// valid against the upstream CRD (strict), and Argo CD's kustomize patches applied by kustomize itself.
import { rmSync } from 'node:fs';
import { parse } from 'yaml';
import { parseResources } from '../../../src/cli/read.js';
import { assemble } from '../../../src/model/assemble.js';
import { formatProblem } from '../../../src/model/problems.js';
import type { FileTree } from '../../../src/model/types.js';
import { render } from '../../../src/render/index.js';
import { crdErrors, kustomizeBuild, parseDocs, tempTree, type Obj } from './helpers.js';
import { app, bundle, cluster, helm, node } from '../support/kure-yaml.js';

/** Assembles (with Kure's own output check) and renders; fails on any problem. */
function renderDocs(...docs: string[]): FileTree {
  const read = parseResources('test.yaml', docs.join('\n---\n'));
  expect(read.errors).toEqual([]);
  const result = assemble(read.resources);
  expect(result.problems.map(formatProblem)).toEqual([]);
  return render(result.clusters[0]!.model);
}
const doc = (tree: FileTree, file: string): Obj => {
  const text = tree.get(file);
  if (text === undefined) throw new Error(`no ${file} in ${[...tree.keys()].join(', ')}`);
  return parse(text) as Obj;
};
const spec = (o: Obj) => o.spec as Record<string, unknown>;
/** Every generated Flux / Argo CD object is valid against its upstream CRD. */
const expectValid = (tree: FileTree) => {
  for (const [file, text] of tree) {
    if (file.endsWith('kustomization.yaml')) continue;
    for (const o of parseDocs(text)) expect({ file, id: `${o.kind}/${o.metadata.name}`, errors: crdErrors(o) ?? [] }).toEqual({ file, id: `${o.kind}/${o.metadata.name}`, errors: [] });
  }
};

const SMP = '{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {level: debug}}';
const JSON6902 = '[{"op": "add", "path": "/metadata/labels/tier", "value": "web"}]';
const YAML6902 = '- op: add\n  path: /metadata/annotations\n  value: {owner: web-team}\n';
const PATCHES = `patches: [{patch: "${SMP}"}, {patch: ${JSON.stringify(JSON6902)}, target: {kind: ConfigMap, labelSelector: "app=web"}}, {patch: ${JSON.stringify(YAML6902)}, target: {name: settings}}]`;
const RENDERED_PATCHES = [
  { patch: SMP },
  { patch: JSON6902, target: { kind: 'ConfigMap', labelSelector: 'app=web' } },
  { patch: YAML6902, target: { name: 'settings' } },
];
const SETTINGS = 'manifests: [{apiVersion: v1, kind: ConfigMap, metadata: {name: settings, labels: {app: web}}, data: {level: info, host: "api.${domain}"}}]';

describe('flux', () => {
  const tree = renderDocs(
    cluster('flux'),
    node(),
    bundle(
      'web',
      [
        'targetNamespace: web',
        'force: true',
        PATCHES,
        'postBuild: {substitute: {domain: example.com}, substituteFrom: [{kind: ConfigMap, name: cluster-vars}, {kind: Secret, name: cluster-secrets, optional: true}]}',
        'healthChecks: [{apiVersion: apps/v1, kind: Deployment, name: api}, {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, name: widgets.example.com}]',
        'healthCheckExprs: [{apiVersion: example.com/v1, kind: Widget, current: "status.ready == true", inProgress: "status.ready == false", failed: "has(status.error)"}]',
      ].join(', '),
    ),
    app('settings', SETTINGS),
    app('operator', helm('operator', 'install: {remediation: {retries: 3, remediateLastFailure: true}}, upgrade: {remediation: {retries: -1, strategy: uninstall}}')),
    app('instances', helm('instances', 'releaseName: widgets, namespace: widgets, dependsOn: [{name: operator}], install: {remediation: {retries: 1}}, valuesFrom: [{kind: ConfigMap, name: widget-values}, {kind: Secret, name: widget-db, valuesKey: password, targetPath: db.password, optional: true}]')),
  );

  test('Kustomization: force, components, patches, postBuild, healthChecks, healthCheckExprs', () => {
    expect(spec(doc(tree, 'flux/kustomizations/web.yaml'))).toEqual({
      interval: '10m',
      path: './clusters/prod/nodes/infra/web',
      prune: true,
      wait: false,
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      targetNamespace: 'web',
      force: true,
      patches: RENDERED_PATCHES,
      postBuild: {
        substitute: { domain: 'example.com' },
        substituteFrom: [
          { kind: 'ConfigMap', name: 'cluster-vars' },
          { kind: 'Secret', name: 'cluster-secrets', optional: true },
        ],
      },
      healthChecks: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'web' },
        { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.com' },
      ],
      healthCheckExprs: [{ apiVersion: 'example.com/v1', kind: 'Widget', current: 'status.ready == true', inProgress: 'status.ready == false', failed: 'has(status.error)' }],
    });
    // the directory is left to Flux: patches and substitution are not applied by Kure
    expect(tree.get('nodes/infra/web/settings.yaml')).toContain('host: api.${domain}');
    expect(Object.keys(doc(tree, 'nodes/infra/web/kustomization.yaml'))).toEqual(['apiVersion', 'kind', 'resources']);
  });

  test('HelmRelease: remediation, dependsOn by release name, valuesFrom', () => {
    const [, operator] = parseDocs(tree.get('nodes/infra/web/operator.yaml') as string);
    expect(spec(operator!)).toMatchObject({
      install: { remediation: { retries: 3, remediateLastFailure: true } },
      upgrade: { remediation: { retries: -1, strategy: 'uninstall' } },
    });
    expect('dependsOn' in spec(operator!)).toBe(false);
    const [, widgets] = parseDocs(tree.get('nodes/infra/web/instances.yaml') as string);
    expect(widgets!.metadata.name).toBe('widgets');
    expect(spec(widgets!)).toEqual({
      interval: '10m',
      chart: { spec: { chart: 'instances', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'widgets' } } },
      releaseName: 'widgets',
      targetNamespace: 'widgets',
      dependsOn: [{ name: 'operator' }],
      install: { createNamespace: true, remediation: { retries: 1 } },
      valuesFrom: [
        { kind: 'ConfigMap', name: 'widget-values' },
        { kind: 'Secret', name: 'widget-db', valuesKey: 'password', targetPath: 'db.password', optional: true },
      ],
    });
  });

  test('every object is valid against the upstream CRDs', () => expectValid(tree));

  test('external bundle: components relative to its path', () => {
    const ext = renderDocs(
      cluster('flux'),
      node('vendor', '{kind: GitRepository, url: "https://git.example.com/vendor.git", ref: {branch: main}}'),
      bundle('app', `path: deploy/prod, components: [../../components/monitoring, ../../components/ha], ${PATCHES}`, 'vendor'),
    );
    expect(spec(doc(ext, 'flux/kustomizations/app.yaml'))).toMatchObject({
      path: './deploy/prod',
      components: ['../../components/monitoring', '../../components/ha'],
      patches: RENDERED_PATCHES,
    });
    expectValid(ext);
  });
});

describe('argocd', () => {
  const tree = renderDocs(
    cluster('argocd'),
    node(),
    bundle(
      'web',
      [
        'targetNamespace: web',
        'retryInterval: 1m',
        PATCHES,
        'healthChecks: [{apiVersion: apps/v1, kind: Deployment, name: api}]',
        'argocd: {syncOptions: [ServerSideApply=true, SkipDryRunOnMissingResource=true], ignoreDifferences: [{group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}, {kind: Secret, name: webhook-certs, jqPathExpressions: [.data]}], retry: {limit: 5, backoff: {factor: 3}}}',
      ].join(', '),
    ),
    app('settings', SETTINGS),
    app('operator', helm('operator', 'install: {remediation: {retries: 3}}')),
  );
  const application = doc(tree, 'apps/web.yaml');

  test('syncOptions after CreateNamespace, ignoreDifferences, retry over retryInterval', () => {
    expect(spec(application).syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['CreateNamespace=true', 'ServerSideApply=true', 'SkipDryRunOnMissingResource=true'],
      retry: { limit: 5, refresh: true, backoff: { duration: '1m', factor: 3, maxDuration: '1m' } },
    });
    expect(spec(application).ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
      { kind: 'Secret', name: 'webhook-certs', jqPathExpressions: ['.data'] },
    ]);
    // Helm remediation and health checks have no counterpart on the Application
    expect(JSON.stringify(application)).not.toMatch(/remediation|healthChecks/);
  });

  test("patches go into the bundle's kustomization.yaml, and kustomize applies them", () => {
    expect(doc(tree, 'nodes/infra/web/kustomization.yaml')).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['settings.yaml'],
      patches: RENDERED_PATCHES,
    });
    const dir = tempTree(tree);
    let built: Obj[];
    try {
      built = kustomizeBuild(`${dir}/nodes/infra/web`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(built).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', labels: { app: 'web', tier: 'web' }, annotations: { owner: 'web-team' } },
        data: { level: 'debug', host: 'api.${domain}' },
      },
    ]);
  });

  test('a bundle option overrides the one Kure adds', () => {
    const t = renderDocs(cluster('argocd'), node(), bundle('web', 'targetNamespace: web, argocd: {syncOptions: [CreateNamespace=false, PruneLast=true]}'));
    expect((spec(doc(t, 'apps/web.yaml')).syncPolicy as Record<string, unknown>).syncOptions).toEqual(['CreateNamespace=false', 'PruneLast=true']);
  });

  test('every object is valid against the upstream CRDs', () => expectValid(tree));

  test('external bundle: source.kustomize patches and components, beside commonMetadata', () => {
    const ext = renderDocs(
      cluster('argocd'),
      node('vendor', '{kind: GitRepository, url: "https://git.example.com/vendor.git", ref: {tag: v1.2.0}}'),
      bundle('app', `path: deploy/prod, commonMetadata: {labels: {team: web}}, components: [../../components/ha], ${PATCHES}`, 'vendor'),
    );
    expect((spec(doc(ext, 'apps/app.yaml')).source as Record<string, unknown>).kustomize).toEqual({
      commonLabels: { team: 'web' },
      labelWithoutSelector: true,
      components: ['../../components/ha'],
      patches: RENDERED_PATCHES,
    });
    expectValid(ext);
  });
});
