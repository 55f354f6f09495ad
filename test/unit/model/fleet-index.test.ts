import type { KureResource } from '../../../src/api/schema.js';
import { FleetIndex } from '../../../src/model/fleet-index.js';
import { assemble } from '../../../src/model/assemble.js';
import { ClusterBuilder } from '../../../src/model/builder.js';
import { configMap, configMapApp, fleetOf } from '../support/fleet.js';

const NS = 'platform';
const URL = 'http://git.local/fleet.git';

// Single objects, for lookups and changes to the fleet (some of them malformed on purpose).
const obj = (kind: string, name: string, spec: Record<string, unknown>, namespace = NS): KureResource =>
  ({ apiVersion: 'kure.dev/v1alpha1', kind, metadata: { name, namespace }, spec }) as KureResource;
const cluster = (name: string, path = `clusters/${name}`, secret?: string) =>
  obj('KureCluster', name, { gitops: { engine: 'flux' }, repository: { url: URL, path, ...(secret ? { secretRef: { name: secret } } : {}) } });
const node = (name: string, ref: Record<string, unknown>) => obj('KureNode', name, ref);
const bundle = (name: string, nodeName: string) => obj('KureBundle', name, { nodeRef: { name: nodeName } });
const app = (name: string, bundleName: string, namespace = NS, bundleNs?: string) =>
  obj('KureApplication', name, { bundleRef: { name: bundleName, ...(bundleNs ? { namespace: bundleNs } : {}) }, manifests: [configMap(name)] }, namespace);

/** Two clusters, one with a two-level node tree, plus a detached application. */
function fleet() {
  return [
    ...fleetOf(
      new ClusterBuilder('prod', { namespace: NS, repository: { url: URL, path: 'clusters/prod', secretRef: { name: 'git' } } })
        .withNode('root')
        .withNode('apps')
        .withBundle('web')
        .withApplication('a', configMapApp('a'))
        .withApplication('b', configMapApp('b'))
        .end()
        .end()
        .end(),
      new ClusterBuilder('dev', { namespace: NS, repository: { url: URL, path: 'clusters/dev' } }).withNode('dev-root').withBundle('api').withApplication('c', configMapApp('c')).end().end(),
    ),
    app('lost', 'no-such-bundle'), // a dangling reference, on purpose: not a hierarchy
  ];
}

const names = (objs: readonly KureResource[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('FleetIndex', () => {
  it('maps every object to the cluster it reaches, whatever order the objects arrive in', () => {
    for (const order of [fleet(), fleet().reverse()]) {
      const index = new FleetIndex();
      for (const o of order) index.upsert(o);
      expect(index.clusterOf(app('a', 'web'))).toBe(`${NS}/prod`);
      expect(index.clusterOf(node('apps', { parentRef: { name: 'root' } }))).toBe(`${NS}/prod`);
      expect(index.clusterOf(app('c', 'api'))).toBe(`${NS}/dev`);
      expect(index.clusterOf(app('lost', 'no-such-bundle'))).toBeUndefined();
      expect(index.clusters().sort()).toEqual([`${NS}/dev`, `${NS}/prod`]);
    }
  });

  it("gives one cluster's input: its subtree and the other clusters, and assemble judges it as it judges the fleet", () => {
    const index = new FleetIndex();
    for (const o of fleet()) index.upsert(o);
    const input = index.clusterInput(`${NS}/prod`);
    expect(names(input)).toEqual(['KureApplication/a', 'KureApplication/b', 'KureBundle/web', 'KureCluster/dev', 'KureCluster/prod', 'KureNode/apps', 'KureNode/root']);
    const alone = assemble(input).clusters.find((c) => c.key === `${NS}/prod`)!;
    const whole = assemble(fleet()).clusters.find((c) => c.key === `${NS}/prod`)!;
    expect(alone.members).toEqual(whole.members);
    expect(alone.problems).toEqual(whole.problems);
    expect(alone.model).toEqual(whole.model);
  });

  it('keeps overlapping repository paths an error across clusters, though each assembles alone', () => {
    const index = new FleetIndex();
    for (const o of [...fleet(), cluster('dev', 'clusters/prod/dev')]) index.upsert(o);
    const prod = assemble(index.clusterInput(`${NS}/prod`)).clusters.find((c) => c.key === `${NS}/prod`)!;
    expect(prod.problems.map((p) => p.message)).toContainEqual(expect.stringContaining('overlaps with KureCluster platform/dev'));
  });

  it('follows an update: an application moved to another cluster leaves the first subtree; the old version still names the old cluster', () => {
    const index = new FleetIndex();
    for (const o of fleet()) index.upsert(o);
    const before = app('a', 'web');
    const after = app('a', 'api');
    index.upsert(after);
    expect(index.clusterOf(after)).toBe(`${NS}/dev`);
    expect(index.clusterOf(before)).toBe(`${NS}/prod`);
    expect(names(index.subtree(`KureCluster/${NS}/prod`))).not.toContain('KureApplication/a');
    expect(names(index.subtree(`KureCluster/${NS}/dev`))).toContain('KureApplication/a');
  });

  it('a deleted node with children leaves a tombstone: its subtree still reaches the cluster until the children go or move', () => {
    const index = new FleetIndex();
    for (const o of fleet()) index.upsert(o);
    index.delete(node('apps', { parentRef: { name: 'root' } }));
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(true);
    expect(index.get('KureNode', NS, 'apps')).toBeUndefined();
    expect(index.clusterOf(app('a', 'web'))).toBe(`${NS}/prod`);
    expect(names(index.clusterInput(`${NS}/prod`))).toContain('KureBundle/web');
    // An update that keeps the parent keeps the tombstone; moving the only child releases it.
    index.upsert({ ...bundle('web', 'apps'), metadata: { name: 'web', namespace: NS, generation: 2 } } as KureResource);
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(true);
    index.upsert(bundle('web', 'dev-root'));
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(false);
    expect(index.clusterOf(app('a', 'web'))).toBe(`${NS}/dev`);
    expect(names(index.subtree(`KureCluster/${NS}/prod`))).toEqual(['KureCluster/prod', 'KureNode/root']);
  });

  it('releases tombstones up the chain when the last object under them is deleted; one that comes back is an object again', () => {
    const index = new FleetIndex();
    for (const o of fleet()) index.upsert(o);
    index.delete(bundle('web', 'apps'));
    index.delete(node('apps', { parentRef: { name: 'root' } }));
    expect(index.isTombstone(`KureBundle/${NS}/web`)).toBe(true);
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(true); // web's tombstone still hangs under it
    index.delete(app('a', 'web'));
    expect(index.clusterOf(app('b', 'web'))).toBe(`${NS}/prod`);
    index.delete(app('b', 'web'));
    expect(index.isTombstone(`KureBundle/${NS}/web`)).toBe(false);
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(false);
    expect(names(index.subtree(`KureCluster/${NS}/prod`))).toEqual(['KureCluster/prod', 'KureNode/root']);
    // A deleted bundle that returns under another node is linked there only.
    index.upsert(app('a', 'api2'));
    index.delete(bundle('api', 'dev-root'));
    expect(index.isTombstone(`KureBundle/${NS}/api`)).toBe(true);
    index.upsert(bundle('api', 'root'));
    expect(index.isTombstone(`KureBundle/${NS}/api`)).toBe(false);
    expect(index.clusterOf(app('c', 'api'))).toBe(`${NS}/prod`);
    expect(names(index.subtree(`KureCluster/${NS}/dev`))).toEqual(['KureCluster/dev', 'KureNode/dev-root']);
  });

  it('a deleting node or bundle (its finalizer holds it) is a tombstone that keeps its object: out of the input, in use while live objects name it', () => {
    const index = new FleetIndex();
    for (const o of fleet()) index.upsert(o);
    const deleting = (r: KureResource) => ({ ...r, metadata: { ...r.metadata, deletionTimestamp: '2026-12-04T00:00:00Z', finalizers: ['kure.dev/in-use'] } }) as KureResource;
    index.upsert(deleting(node('apps', { parentRef: { name: 'root' } })));
    index.upsert(deleting(bundle('web', 'apps')));
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(true);
    expect(index.isTombstone(`KureBundle/${NS}/web`)).toBe(true);
    expect(index.get('KureBundle', NS, 'web')?.metadata.deletionTimestamp).toBeDefined(); // kept: the finalizer is removed from it
    expect(index.clusterOf(app('a', 'web'))).toBe(`${NS}/prod`);
    expect(names(index.clusterInput(`${NS}/prod`))).toEqual(expect.arrayContaining(['KureApplication/a', 'KureApplication/b']));
    expect(names(index.clusterInput(`${NS}/prod`))).not.toContain('KureBundle/web');
    expect(names(index.clusterInput(`${NS}/prod`))).not.toContain('KureNode/apps');
    expect(index.parentOf(`KureBundle/${NS}/web`)).toBe(`KureNode/${NS}/apps`);
    // In use through the deleting bundle: the node waits for the applications too.
    expect(names(index.liveUnder(`KureNode/${NS}/apps`))).toEqual(['KureApplication/a', 'KureApplication/b']);
    expect(index.liveUnder(`KureBundle/${NS}/web`, 1)).toHaveLength(1);
    index.delete(app('a', 'web'));
    index.upsert(app('b', 'api')); // re-parented
    expect(index.liveUnder(`KureBundle/${NS}/web`)).toEqual([]);
    expect(index.liveUnder(`KureNode/${NS}/apps`)).toEqual([]);
    expect(index.isTombstone(`KureBundle/${NS}/web`)).toBe(false);
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(true); // the deleting bundle still names it, until it is gone
    index.delete(deleting(bundle('web', 'apps')));
    expect(index.isTombstone(`KureNode/${NS}/apps`)).toBe(false);
    // Deleting objects that name each other (a cycle) hold nothing: no live object is under them.
    index.upsert(deleting(node('x', { parentRef: { name: 'y' } })));
    index.upsert(deleting(node('y', { parentRef: { name: 'x' } })));
    expect(index.liveUnder(`KureNode/${NS}/x`)).toEqual([]);
  });

  it('a deleted cluster leaves no tombstone: its tree reaches nothing', () => {
    const index = new FleetIndex();
    for (const o of fleet()) index.upsert(o);
    index.delete(cluster('dev'));
    expect(index.isTombstone(`KureCluster/${NS}/dev`)).toBe(false);
    expect(index.clusterOf(app('c', 'api'))).toBeUndefined();
  });

  it('survives cycles and malformed references', () => {
    const index = new FleetIndex();
    index.upsert(node('x', { parentRef: { name: 'y' } }));
    index.upsert(node('y', { parentRef: { name: 'x' } }));
    index.upsert(obj('KureBundle', 'odd', { nodeRef: { name: 42 } }));
    index.upsert(obj('KureApplication', 'weird', { bundleRef: 'nope' }));
    expect(index.clusterOf(node('x', { parentRef: { name: 'y' } }))).toBeUndefined();
    expect(names(index.subtree(`KureNode/${NS}/x`))).toEqual(['KureNode/x', 'KureNode/y']);
    expect(names(index.ancestry(node('x', { parentRef: { name: 'y' } })))).toEqual(['KureNode/x', 'KureNode/y']);
    expect(index.clusterOf(obj('KureBundle', 'odd', { nodeRef: { name: 42 } }))).toBeUndefined();
  });

  it('knows which clusters reference a Secret, across updates and deletes', () => {
    const index = new FleetIndex();
    for (const o of fleet()) index.upsert(o);
    expect(index.clustersReferencingSecret(NS, 'git')).toEqual([`${NS}/prod`]);
    index.upsert(cluster('dev', 'clusters/dev', 'git'));
    expect(index.clustersReferencingSecret(NS, 'git').sort()).toEqual([`${NS}/dev`, `${NS}/prod`]);
    index.upsert(cluster('prod', 'clusters/prod', 'other'));
    expect(index.clustersReferencingSecret(NS, 'git')).toEqual([`${NS}/dev`]);
    index.delete(cluster('dev'));
    expect(index.clustersReferencingSecret(NS, 'git')).toEqual([]);
    expect(index.clusters()).toEqual([`${NS}/prod`]);
  });
});
