// Everything `kure render` writes for the examples, built by real kustomize, is accepted by a real
// API server: server-side apply with dryRun=All and fieldValidation=Strict against the upstream
// Flux and Argo CD CRDs and the built-in kinds.
import { mkdtempSync, rmSync } from 'node:fs';
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
