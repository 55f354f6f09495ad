// Nothing invalid is committed: every generated object is checked against the schema of its kind
// (built-in kinds of the target Kubernetes, Flux and Argo CD CRDs) with strict-validation semantics.
import { PLAIN_RENDERER } from '../../../src/render/renderer.js';
import { checkCluster } from '../../../src/render/check.js';
import { render } from '../../../src/render/index.js';
import { formatProblem } from '../../../src/model/problems.js';
import { hasSchema, kindInfo, KUBERNETES_VERSION, validateObject } from '../../../src/schemas/index.js';
import { bundle, cluster, manifestsApp, node, richCluster, workloadApp } from './fixtures.js';
import { crdErrors, treeObjects } from './helpers.js';

const plainTree: Parameters<typeof checkCluster>[2] = (m, c) => PLAIN_RENDERER.renderTree(m, c);

const deployment = (spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    ...spec,
  },
});

describe('the kinds table', () => {
  it('comes from the target Kubernetes version', () => {
    expect(KUBERNETES_VERSION).toBe('v1.37.2');
  });

  it.each([
    ['', 'ConfigMap', true],
    ['', 'Namespace', false],
    ['', 'PersistentVolume', false],
    ['rbac.authorization.k8s.io', 'ClusterRoleBinding', false],
    ['rbac.authorization.k8s.io', 'RoleBinding', true],
    ['apiextensions.k8s.io', 'CustomResourceDefinition', false],
    ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration', false],
    ['storage.k8s.io', 'StorageClass', false],
    ['scheduling.k8s.io', 'PriorityClass', false],
    ['apps', 'Deployment', true],
    ['kustomize.toolkit.fluxcd.io', 'Kustomization', true],
    ['argoproj.io', 'AppProject', true],
  ])('%s %s namespaced: %s', (group, kind, namespaced) => {
    expect(kindInfo(group, kind)?.namespaced).toBe(namespaced);
  });

  it('does not know custom kinds', () => {
    expect(kindInfo('cert-manager.io', 'ClusterIssuer')).toBeUndefined();
    expect(hasSchema('cert-manager.io/v1', 'ClusterIssuer')).toBe(false);
  });
});

describe('validateObject', () => {
  it('accepts a good Deployment and has no schema for custom kinds', () => {
    expect(validateObject(deployment({ replicas: 2 }))).toEqual([]);
    expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } })).toBeUndefined();
  });

  it('names the field of each violation, kubectl style', () => {
    const bad = deployment({ replicas: 'two', paused: 'no', strategy: { type: 'Sometimes' } });
    (bad.spec.template.spec as { containers: unknown[] }).containers.push({ image: 'x', ports: [{ containerPort: 80.5, protocol: 'ICMP' }], bogus: 1 });
    // in the object's own key order
    expect(validateObject(bad)).toEqual([
      { field: 'spec.template.spec.containers[1].name', message: 'is required' },
      { field: 'spec.template.spec.containers[1].ports[0].containerPort', message: 'must be an integer, not number' },
      { field: 'spec.template.spec.containers[1].ports[0].protocol', message: 'must be one of: "SCTP", "TCP", "UDP" (got "ICMP")' },
      { field: 'spec.template.spec.containers[1].bogus', message: 'unknown field' },
      { field: 'spec.replicas', message: 'must be an integer, not string' },
      { field: 'spec.paused', message: 'must be true or false, not string' },
      { field: 'spec.strategy.type', message: 'must be one of: "Recreate", "RollingUpdate" (got "Sometimes")' },
    ]);
  });

  it('knows int-or-string, quantities, base64 and free-form fields', () => {
    const svc = (port: unknown) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: port }] } });
    expect(validateObject(svc('http'))).toEqual([]);
    expect(validateObject(svc(8080))).toEqual([]);
    expect(validateObject(svc(true))).toEqual([{ field: 'spec.ports[0].targetPort', message: 'must be an integer or a string, not boolean' }]);
    const limits = deployment({});
    (limits.spec.template.spec.containers[0] as Record<string, unknown>).resources = { limits: { cpu: 1, memory: '64Mi' } };
    expect(validateObject(limits)).toEqual([]);
    expect(validateObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'not base64!' } })).toEqual([
      { field: 'data.a', message: 'must be base64-encoded' },
    ]);
    // a CRD's schema is free-form only where it says so: Argo CD valuesObject is, Flux spec is not
    expect(
      validateObject({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'x', bogus: 1 }, spec: { interval: '1m', chartRef: { kind: 'OCIRepository', name: 'x' }, values: { any: { thing: [1] } }, extra: true } }),
    ).toEqual([
      { field: 'metadata.bogus', message: 'unknown field' },
      { field: 'spec.extra', message: 'unknown field' },
    ]);
  });
});

describe('checkCluster', () => {
  it.each(['flux', 'argocd'] as const)('finds nothing in the rich %s cluster', (engine) => {
    const model = richCluster(engine, { bootstrap: true });
    expect(checkCluster(model, () => false, plainTree).problems.map(formatProblem)).toEqual([]);
  });

  it.each(['flux', 'argocd'] as const)('agrees with ajv on the CRD kinds of the rich %s cluster', (engine) => {
    for (const o of treeObjects(render(richCluster(engine, { bootstrap: true })))) {
      const ours = validateObject(o as Record<string, unknown>);
      const theirs = crdErrors(o);
      if (theirs !== undefined) expect(ours).toEqual([]);
      if (theirs !== undefined) expect(theirs).toEqual([]);
    }
  });

  it('blocks with the object, the file and the field named, on the owning resource', () => {
    const model = cluster('flux', {
      nodes: [
        node('apps', {
          bundles: [
            bundle('web', {
              applications: [
                manifestsApp('bad', [
                  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' }, data: { a: '1' } },
                  { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'eighty' }] } }] },
                  { apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'old' }, spec: {} },
                  { apiVersion: 'kustomize.toolkit.fluxcd.io/v1beta2', kind: 'Kustomization', metadata: { name: 'k' }, spec: {} },
                ]),
                workloadApp('fine', { image: 'nginx', ports: [{ containerPort: 80 }] }),
              ],
            }),
          ],
        }),
      ],
    });
    expect(checkCluster(model, () => false, plainTree).problems.map(formatProblem)).toEqual([
      'KureApplication platform/bad: spec.manifests[1].items[0]: Service s (clusters/production/nodes/apps/web/bad.yaml): spec.ports[0].port: must be an integer, not string',
      `KureApplication platform/bad: spec.manifests[2]: Deployment old (clusters/production/nodes/apps/web/bad.yaml): apiVersion: apps/v1beta1 is not served by Kubernetes ${KUBERNETES_VERSION}; use apps/v1`,
      'KureApplication platform/bad: spec.manifests[3]: Kustomization k (clusters/production/nodes/apps/web/bad.yaml): apiVersion: kustomize.toolkit.fluxcd.io/v1beta2 is not served by the Flux and Argo CD versions Kure targets; use kustomize.toolkit.fluxcd.io/v1',
    ]);
  });
});
