// Every directory that Flux or Argo CD builds must build with real kustomize (`kubectl kustomize`)
// and yield exactly the objects its owner should apply; every Flux / Argo CD object must satisfy
// the upstream CRD schema with unknown fields rejected.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { render } from '../../../src/render/index.js';
import { applicationObjects } from '../../../src/render/apps/index.js';
import { allBundles, bundleDir } from '../../../src/render/layout.js';
import type { ClusterModel } from '../../../src/model/types.js';
import { richCluster } from './fixtures.js';
import { crdErrors, FLUX_KINDS, id, kustomizeBuild, parseDocs, tempTree, treeObjects, type Obj } from './helpers.js';

const engines = ['flux', 'argocd'] as const;

/** What the bundle's directory must yield: its applications' objects, commonMetadata applied (Argo CD). */
function expectedBundleObjects(c: ClusterModel, bundleName: string): string[] {
  const b = allBundles(c).find((x) => x.name === bundleName);
  if (b === undefined) throw new Error(bundleName);
  return b.applications.flatMap((a) => applicationObjects(a, b, c) as Obj[]).map(id).sort();
}

describe.each(engines)('%s: kubectl kustomize', (engine) => {
  const model = richCluster(engine, { bootstrap: true });
  const tree = render(model);
  const dir = tempTree(tree);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kustomizeDirs = [...tree.keys()].filter((k) => k.endsWith('/kustomization.yaml') || k === 'kustomization.yaml').map((k) => path.posix.dirname(k));

  test('there are bundle directories to check', () => {
    expect(kustomizeDirs.filter((d) => d.startsWith('nodes/')).length).toBeGreaterThanOrEqual(8);
  });

  test.each(allBundles(model).filter((b) => b.external === undefined).map((b) => [b.name, bundleDir(b)]))(
    'bundle %s builds and yields exactly its objects',
    (name, rel) => {
      if (!tree.has(`${rel}/kustomization.yaml`)) {
        // Argo CD: a bundle of Helm applications only has no directory
        expect(engine).toBe('argocd');
        expect(expectedBundleObjects(model, name)).toEqual([]);
        return;
      }
      const built = kustomizeBuild(path.join(dir, rel));
      expect(built.map(id).sort()).toEqual(expectedBundleObjects(model, name));
    },
  );

  test('commonMetadata reaches the objects of the bundle (metadata only)', () => {
    const built = kustomizeBuild(path.join(dir, 'nodes/apps/web'));
    const deployment = built.find((o) => o.kind === 'Deployment') as Obj & { spec: { selector: { matchLabels: object }; template: { metadata: { labels: object; annotations?: object } } } };
    if (engine === 'argocd') {
      for (const o of built) {
        expect((o.metadata as { labels?: Record<string, string> }).labels?.team).toBe('web');
        expect((o.metadata as { annotations?: Record<string, string> }).annotations?.['example.com/owner']).toBe('web-team');
      }
    }
    // never in selectors or pod templates (a changed selector is immutable; a changed template rolls pods)
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'frontend' });
    expect(deployment.spec.template.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'frontend', 'app.kubernetes.io/managed-by': 'kure' });
    expect(deployment.spec.template.metadata.annotations).toBeUndefined();
  });

  test('the engine directories build', () => {
    for (const d of kustomizeDirs.filter((x) => !x.startsWith('nodes/'))) {
      const built = kustomizeBuild(path.join(dir, d));
      const files = [...tree.keys()].filter((k) => (d === '.' ? !k.startsWith('nodes/') : k.startsWith(`${d}/`)) && !k.endsWith('kustomization.yaml'));
      expect(built.map(id).sort()).toEqual(files.flatMap((f) => parseDocs(tree.get(f) as string)).map(id).sort());
    }
  });

  if (engine === 'flux') {
    test('the Flux root yields only Flux objects, and all Kustomizations and sources', () => {
      const built = kustomizeBuild(dir);
      expect(built.length).toBeGreaterThan(0);
      for (const o of built) expect(FLUX_KINDS).toContain(o.kind);
      const names = built.filter((o) => o.kind === 'Kustomization').map((o) => o.metadata.name).sort();
      expect(names).toEqual([...allBundles(model).map((b) => b.name), 'flux-system'].sort());
    });
  } else {
    test('apps/ yields one Application per bundle; bootstrap/ the root', () => {
      expect(kustomizeBuild(path.join(dir, 'apps')).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
        allBundles(model).map((b) => `Application/${b.name}`).sort(),
      );
      expect(kustomizeBuild(path.join(dir, 'bootstrap')).map(id)).toEqual(['Application/argocd/production']);
    });
  }
});

describe.each(engines)('%s: upstream CRD schemas (strict)', (engine) => {
  const objects = treeObjects(render(richCluster(engine, { bootstrap: true })));
  const gitops = objects.filter((o) => /fluxcd\.io|argoproj\.io/.test(o.apiVersion));

  test('covers the expected kinds', () => {
    const kinds = [...new Set(gitops.map((o) => o.kind))].sort();
    expect(kinds).toEqual(
      engine === 'flux'
        ? ['Bucket', 'GitRepository', 'HelmRelease', 'HelmRepository', 'Kustomization', 'OCIRepository']
        : ['Application'],
    );
  });

  test.each(gitops.map((o) => [`${o.kind} ${o.metadata.name}`, o] as const))('%s', (_name, o) => {
    expect(crdErrors(o)).toEqual([]);
  });

  test('the strict check does reject unknown fields and bad values', () => {
    const o = gitops[0] as Obj;
    expect(crdErrors({ ...o, spec: { ...(o.spec as object), bogus: true } })?.length).toBeGreaterThan(0);
    expect(crdErrors({ ...o, spec: { ...(o.spec as object), interval: 'ten minutes' } })?.length ?? 1).toBeGreaterThan(0);
  });
});
