// The upstream Flux and Argo CD CRDs (../shared/reference/crds) in a real API server: they install, and
// server-side dry-run with strict field validation accepts good objects and rejects unknown fields.
import path from 'node:path';
import { REPO_ROOT } from '../support/control-plane.js';
import { applyCrdsFromDir, createTestNamespace, readYamlObjects, serverSideDryRun } from '../support/kube.js';

const CRDS = path.resolve(REPO_ROOT, '../shared/reference/crds');

let ns: string;
beforeAll(async () => {
  await applyCrdsFromDir(CRDS);
  ns = await createTestNamespace();
});

const kustomization = () => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name: 'apps', namespace: ns },
  spec: {
    interval: '10m',
    retryInterval: '1m',
    timeout: '5m',
    path: './clusters/prod/apps',
    prune: true,
    wait: true,
    sourceRef: { kind: 'GitRepository', name: 'flux-system' },
    dependsOn: [{ name: 'infrastructure' }],
    targetNamespace: 'apps',
    commonMetadata: { labels: { 'app.kubernetes.io/part-of': 'kure' } },
  },
});

const application = () => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'guestbook', namespace: ns, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
  spec: {
    project: 'default',
    source: { repoURL: 'https://git.example.com/platform/gitops.git', targetRevision: 'main', path: 'clusters/prod/guestbook' },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'] },
  },
});

describe('upstream CRDs', () => {
  it('every reference CRD is Established', async () => {
    const files = readYamlObjects(CRDS).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(files.length).toBeGreaterThanOrEqual(9);
    const established = await applyCrdsFromDir(CRDS); // idempotent
    expect(established.map((c) => c.metadata?.name).sort()).toEqual(files.map((c) => c.metadata?.name).sort());
  });

  it('accepts a known-good Flux Kustomization (dry run, strict)', async () => {
    const out = await serverSideDryRun(kustomization());
    expect(out.metadata?.uid).toBeDefined();
    expect(out).toMatchObject({ spec: { path: './clusters/prod/apps', prune: true } });
  });

  it('accepts a known-good Argo CD Application (dry run, strict)', async () => {
    const out = await serverSideDryRun(application());
    expect(out).toMatchObject({ spec: { project: 'default', destination: { namespace: 'guestbook' } } });
  });

  it('accepts Flux sources and a HelmRelease (dry run, strict)', async () => {
    await serverSideDryRun({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'flux-system', namespace: ns },
      spec: { interval: '1m', url: 'https://git.example.com/platform/gitops.git', ref: { branch: 'main' } },
    });
    await serverSideDryRun({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'podinfo', namespace: ns },
      spec: {
        interval: '10m',
        chart: { spec: { chart: 'podinfo', version: '6.x', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } },
        values: { replicaCount: 2 },
      },
    });
  });

  // Server-side apply rejects a field its schema does not declare before fieldValidation is consulted,
  // with "field not declared in schema"; create/update with fieldValidation=Strict say "unknown field".
  it('rejects an unknown field', async () => {
    const bad = kustomization();
    (bad.spec as Record<string, unknown>).pruneEverything = true;
    await expect(serverSideDryRun(bad)).rejects.toThrow(/\.spec\.pruneEverything: field not declared in schema/);
    const badApp = application();
    (badApp.spec.source as Record<string, unknown>).branch = 'main';
    await expect(serverSideDryRun(badApp)).rejects.toThrow(/\.spec\.source\.branch: field not declared in schema/);
  });

  it('rejects schema violations', async () => {
    const bad = kustomization();
    bad.spec.interval = 'ten minutes';
    await expect(serverSideDryRun(bad)).rejects.toThrow(/spec.interval/);
    const noSource = kustomization() as { spec: Partial<ReturnType<typeof kustomization>['spec']> };
    delete noSource.spec.sourceRef;
    await expect(serverSideDryRun(noSource as ReturnType<typeof kustomization>)).rejects.toThrow(/spec.sourceRef: Required value/);
  });
});
