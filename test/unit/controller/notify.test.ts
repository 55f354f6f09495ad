// After a push: which engine objects are poked, and how failures are taken (never thrown).
import pino from 'pino';
import { ARGO_REFRESH, EngineNotifier, FLUX_REQUESTED_AT, pokesAfterPush, type Poke } from '../../../src/controller/notify.js';
import { bundle, cluster, configMap, manifestsApp, node } from '../render/fixtures.js';

const NOW = new Date('2026-12-02T01:02:03.456Z');
const apps = () => [
  node('apps', {
    bundles: [bundle('web', { applications: [manifestsApp('a', [configMap('a')])] }), bundle('api', { applications: [manifestsApp('b', [configMap('b')])] })],
  }),
];
const names = (pokes: Poke[]) => pokes.map((p) => `${p.plural}.${p.group} ${p.namespace}/${p.name}`);

describe('pokesAfterPush', () => {
  it('Flux: requestedAt on the GitRepository the Kustomizations read', () => {
    const pokes = pokesAfterPush(cluster('flux', { nodes: apps() }), ['nodes/apps/web/a.yaml'], NOW);
    expect(pokes).toEqual([
      { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories', namespace: 'flux-system', name: 'flux-system', annotations: { [FLUX_REQUESTED_AT]: NOW.toISOString() } },
    ]);
  });

  it('Flux with an OCIRepository or Bucket source: nothing (something else fills it from Git)', () => {
    for (const kind of ['OCIRepository', 'Bucket'] as const) {
      const c = cluster('flux', { nodes: apps(), flux: { namespace: 'flux-system', sourceRef: { kind, name: 'fleet' } } });
      expect(pokesAfterPush(c, ['nodes/apps/web/a.yaml'], NOW)).toEqual([]);
    }
  });

  it('Argo CD: refresh on the Applications whose directories changed, and the root when an Application file did', () => {
    const c = cluster('argocd', { nodes: apps(), bootstrap: true });
    expect(names(pokesAfterPush(c, ['nodes/apps/web/a.yaml'], NOW))).toEqual(['applications.argoproj.io argocd/web']);
    expect(names(pokesAfterPush(c, ['apps/api.yaml', 'nodes/apps/api/b.yaml', 'nodes/apps/api/kustomization.yaml'], NOW))).toEqual([
      'applications.argoproj.io argocd/production',
      'applications.argoproj.io argocd/api',
    ]);
    expect(pokesAfterPush(c, ['nodes/apps/web/a.yaml'], NOW)[0]!.annotations).toEqual({ [ARGO_REFRESH]: 'normal' });
    // Without bootstrap, whatever applies apps/ is not Kure's to name.
    expect(names(pokesAfterPush(cluster('argocd', { nodes: apps() }), ['apps/api.yaml'], NOW))).toEqual([]);
  });

  it('nothing changed: no pokes', () => {
    expect(pokesAfterPush(cluster('flux', { nodes: apps() }), [], NOW)).toEqual([]);
  });
});

describe('EngineNotifier', () => {
  const poke: Poke = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', namespace: 'argocd', name: 'web', annotations: { [ARGO_REFRESH]: 'normal' } };
  const logs = () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) });
    return { logger, lines };
  };
  const failing = (code: number) => ({ patchAnnotations: () => Promise.reject(Object.assign(new Error(`HTTP ${code}`), { code })) });

  it('patches each object and counts the successes', async () => {
    const seen: Poke[] = [];
    const { logger } = logs();
    const n = new EngineNotifier({ patchAnnotations: async (p) => void seen.push(p) }, logger);
    expect(await n.notify('platform/staging', [poke, { ...poke, name: 'api' }])).toBe(2);
    expect(seen.map((p) => p.name)).toEqual(['web', 'api']);
  });

  it('404 (engine elsewhere or not installed) is quiet; 403 is said once; anything else is a warning; none throws', async () => {
    const { logger, lines } = logs();
    expect(await new EngineNotifier(failing(404), logger).notify('c', [poke])).toBe(0);
    expect(lines.filter((l) => l.level >= 30)).toEqual([]);

    const forbidden = new EngineNotifier(failing(403), logger);
    await forbidden.notify('c', [poke]);
    await forbidden.notify('c', [poke]);
    expect(lines.filter((l) => l.level === 30 && /not allowed to patch applications.argoproj.io/.test(l.msg))).toHaveLength(1);

    await new EngineNotifier(failing(500), logger).notify('c', [poke]);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['could not ask the GitOps engine to reconcile now']);
  });
});
