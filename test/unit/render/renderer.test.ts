// A Renderer with memos (the controller's) re-renders from what it kept of the last render: after
// each kind of change its tree must be exactly a fresh render's, and what did not change must be
// reused (the same object lists, which the output check then skips).
import type { BundleModel, ClusterModel, EngineName, NodeModel } from '../../../src/model/types.js';
import { engineOf, Renderer } from '../../../src/render/index.js';
import { richCluster } from './fixtures.js';

/** The model with `change` applied to every bundle, keeping every other object (and so every spec) as it is. */
function withBundles(model: ClusterModel, change: (b: BundleModel) => BundleModel): ClusterModel {
  const walk = (n: NodeModel): NodeModel => ({ ...n, bundles: n.bundles.map(change), children: n.children.map(walk) });
  return { ...model, nodes: model.nodes.map(walk) };
}

const fresh = (model: ClusterModel) => engineOf(model).render(model);

/** The object lists handed to the output check, by file. */
function collected(renderer: Renderer, model: ClusterModel): Map<string, readonly unknown[]> {
  const lists = new Map<string, readonly unknown[]>();
  renderer.renderTree(model, (file, objects) => lists.set(file, objects));
  return lists;
}

describe.each<EngineName>(['flux', 'argocd'])('%s: a re-render with memos is a fresh render', (engine) => {
  const base = richCluster(engine, { bootstrap: true });
  const changes: [string, (m: ClusterModel) => ClusterModel][] = [
    ['nothing', (m) => m],
    ['a bundle setting', (m) => withBundles(m, (b) => (b.name === 'b' ? { ...b, interval: '7m', timeout: '9m' } : b))],
    ['a bundle dependsOn', (m) => withBundles(m, (b) => (b.name === 'c' ? { ...b, dependsOn: [] } : b))],
    ['a bundle patch (the kustomization.yaml extra)', (m) => withBundles(m, (b) => (b.name === 'web' ? { ...b, patches: [{ patch: '{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {x: y}}' }] } : b))],
    ['an application spec', (m) => withBundles(m, (b) => ({ ...b, applications: b.applications.map((a) => (a.name === 'worker' ? { ...a, spec: { ...a.spec }, content: { type: 'workload', workload: { image: 'ghcr.io/acme/worker:2.0.0' } } } : a)) }))],
    ['an application renamed (same spec object)', (m) => withBundles(m, (b) => ({ ...b, applications: b.applications.map((a) => (a.name === 'settings' ? { ...a, name: 'config', ref: { ...a.ref, name: 'config' } } : a)) }))],
    ['an application removed', (m) => withBundles(m, (b) => ({ ...b, applications: b.applications.filter((a) => a.name !== 'dashboards') }))],
    ['a cluster setting', (m) => ({ ...m, repository: { ...m.repository, path: 'clusters/other' } })],
  ];

  it.each(changes)('after changing %s', (_, change) => {
    const renderer = new Renderer();
    renderer.render(base);
    const changed = change(base);
    expect(renderer.render(changed)).toEqual(fresh(changed));
    // And once more from that state, back to the base.
    expect(renderer.render(base)).toEqual(fresh(base));
  });

  it('reuses what did not change: the same object lists reach the output check', () => {
    const renderer = new Renderer();
    const first = collected(renderer, base);
    const again = collected(renderer, withBundles(base, (b) => (b.name === 'b' ? { ...b, interval: '7m' } : { ...b, applications: [...b.applications] })));
    const remade = [...again].filter(([file, list]) => first.get(file) !== list).map(([file]) => file);
    // The applications' files: only bundle b's are made again (its settings are their context).
    expect(remade.filter((f) => f.startsWith('nodes/'))).toEqual(['nodes/infrastructure/b/cm.yaml']);
    expect([...again.keys()].filter((f) => f.startsWith('nodes/')).length).toBeGreaterThan(8);
    // Flux: so is b's Kustomization alone (Argo CD Applications read the bundle's applications and waves: always made).
    if (engine === 'flux') expect(remade.filter((f) => f.startsWith('flux/kustomizations/'))).toEqual(['flux/kustomizations/b.yaml']);
  });
});
