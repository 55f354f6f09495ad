import type { KureResource } from '../../../src/api/schema.js';
import { InformerCache } from '../../../src/controller/cache.js';
import { ClusterBuilder } from '../../../src/model/builder.js';
import { FleetIndex } from '../../../src/model/fleet-index.js';
import { fleetOf } from '../support/fleet.js';
import { REQUESTED_AT, clusterRequests, detachedRequests, isRelevant, secretRequests } from '../../../src/controller/handlers.js';

const NS = 'platform';
const REPOSITORY = { url: 'http://g/r.git', secretRef: { name: 'git' } };

// The objects of the events (with a generation, which the builder does not set).
const obj = (kind: string, name: string, spec: Record<string, unknown>, generation = 1): KureResource =>
  ({ apiVersion: 'kure.dev/v1alpha1', kind, metadata: { name, namespace: NS, generation }, spec }) as KureResource;
const bundle = (name: string, nodeName: string, generation = 1) => obj('KureBundle', name, { nodeRef: { name: nodeName } }, generation);
const app = (name: string, bundleName: string) => obj('KureApplication', name, { bundleRef: { name: bundleName } });

function indexed(...objs: KureResource[]) {
  const index = new FleetIndex();
  for (const o of objs) index.upsert(o);
  return index;
}
/** Clusters prod (node p, bundle web, applications a and b) and dev (node d), both using Secret git. */
const base = () =>
  fleetOf(
    new ClusterBuilder('prod', { namespace: NS, repository: REPOSITORY }).withNode('p').withBundle('web').withApplication('a', {}).withApplication('b', {}).end().end(),
    new ClusterBuilder('dev', { namespace: NS, repository: REPOSITORY }).withNode('d').end(),
  );

describe('handlers', () => {
  it('an update maps to the cluster of the new object and of the old one', () => {
    const index = indexed(...base());
    const moved = bundle('web', 'd', 2);
    index.upsert(moved);
    const reqs = clusterRequests(index, { type: 'update', obj: moved, old: bundle('web', 'p') });
    expect(reqs).toEqual([
      { namespace: NS, name: 'dev' },
      { namespace: NS, name: 'prod' },
    ]);
  });

  it('a delete maps to the cluster the object was in; what hung below it still reaches it (a tombstone)', () => {
    const index = indexed(...base());
    const gone = bundle('web', 'p');
    index.delete(gone);
    expect(clusterRequests(index, { type: 'delete', obj: gone })).toEqual([{ namespace: NS, name: 'prod' }]);
    expect(detachedRequests(index, { type: 'delete', obj: gone })).toEqual([]);
    expect(clusterRequests(index, { type: 'add', obj: app('c', 'web') })).toEqual([{ namespace: NS, name: 'prod' }]);
  });

  it('the last object under a deleted bundle, deleted, maps to the cluster it reached before (the tombstone is gone after)', () => {
    const cache = new InformerCache({} as never, undefined);
    for (const o of base()) cache.observe('add', o);
    cache.observe('delete', bundle('web', 'p'));
    const last = app('b', 'web');
    expect(cache.observe('delete', app('a', 'web'))).toBe(`${NS}/prod`);
    const reached = cache.observe('delete', last);
    expect(cache.index.clusterOf(last)).toBeUndefined();
    expect(clusterRequests(cache.index, { type: 'delete', obj: last })).toEqual([]);
    expect(clusterRequests(cache.index, { type: 'delete', obj: last, reached })).toEqual([{ namespace: NS, name: 'prod' }]);
  });

  it('a deleted cluster detaches what hung below it', () => {
    const index = indexed(...base());
    const gone = base().find((o) => o.kind === 'KureCluster' && o.metadata.name === 'prod')!;
    index.delete(gone);
    expect(detachedRequests(index, { type: 'delete', obj: gone })).toEqual(expect.arrayContaining([{ kind: 'KureApplication', namespace: NS, name: 'a' }]));
  });

  it('an object that reaches nothing is detached; one that reaches a cluster is not', () => {
    const index = indexed(...base(), app('lost', 'nowhere'));
    expect(detachedRequests(index, { type: 'add', obj: app('lost', 'nowhere') })).toEqual([{ kind: 'KureApplication', namespace: NS, name: 'lost' }]);
    expect(detachedRequests(index, { type: 'add', obj: app('a', 'web') })).toEqual([]);
    expect(clusterRequests(index, { type: 'add', obj: app('lost', 'nowhere') })).toEqual([]);
  });

  it('ignores status-only updates, but not spec, deletion or a reconcile request', () => {
    const a = app('a', 'web');
    expect(isRelevant({ type: 'update', obj: { ...a, status: { observedGeneration: 1 } } as KureResource, old: a })).toBe(false);
    expect(isRelevant({ type: 'update', obj: { ...a, metadata: { ...a.metadata, generation: 2 } } as KureResource, old: a })).toBe(true);
    expect(isRelevant({ type: 'update', obj: { ...a, metadata: { ...a.metadata, deletionTimestamp: 'x' } } as KureResource, old: a })).toBe(true);
    expect(isRelevant({ type: 'update', obj: { ...a, metadata: { ...a.metadata, annotations: { [REQUESTED_AT]: 'now' } } } as KureResource, old: a })).toBe(true);
    expect(isRelevant({ type: 'add', obj: a })).toBe(true);
    const index = indexed(...base());
    expect(clusterRequests(index, { type: 'update', obj: { ...a, status: {} } as KureResource, old: a })).toEqual([]);
  });

  it('a Secret maps to the clusters that reference it', () => {
    const index = indexed(...base());
    expect(secretRequests(index, NS, 'git').sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { namespace: NS, name: 'dev' },
      { namespace: NS, name: 'prod' },
    ]);
    expect(secretRequests(index, NS, 'other')).toEqual([]);
  });
});
