// The finalizer kure.dev/in-use: which events ask for it (handlers.inUseRequests, pure) and what
// the reconciler does (fakes; the real API server: test/integration/in-use.test.ts).
import pino from 'pino';
import type { KureResource } from '../../../src/api/schema.js';
import { IN_USE_FINALIZER } from '../../../src/controller/finalizer.js';
import { inUseRequests } from '../../../src/controller/handlers.js';
import { InUseReconciler } from '../../../src/controller/in-use-reconciler.js';
import { ClusterBuilder } from '../../../src/model/builder.js';
import { configMapApp } from '../support/fleet.js';
import { FakeCache, FakeEvents, FakeKube } from './support/fakes.js';

const NS = 'platform';
const at = '2026-12-04T00:00:00Z';
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NS, generation: 1, ...extra });
const bundle = (name: string, extra: Record<string, unknown> = {}, nodeName = 'apps') =>
  ({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureBundle', metadata: meta(name, extra), spec: { nodeRef: { name: nodeName } } }) as KureResource;
const app = (name: string, bundleName: string) => ({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureApplication', metadata: meta(name), spec: { bundleRef: { name: bundleName } } }) as KureResource;
const web = { kind: 'KureBundle', namespace: NS, name: 'web' };

describe('inUseRequests', () => {
  it('asks for a live node or bundle without the finalizer and a deleting one with it, not otherwise', () => {
    expect(inUseRequests({ type: 'add', obj: bundle('web') })).toEqual([web]);
    expect(inUseRequests({ type: 'update', obj: bundle('web', { finalizers: [IN_USE_FINALIZER] }), old: bundle('web') })).toEqual([]);
    expect(inUseRequests({ type: 'update', obj: bundle('web', { finalizers: [IN_USE_FINALIZER], deletionTimestamp: at }) })).toEqual([web]);
    expect(inUseRequests({ type: 'update', obj: bundle('web', { deletionTimestamp: at, finalizers: ['other'] }) })).toEqual([]);
    expect(inUseRequests({ type: 'add', obj: app('a', 'web') })).toEqual([]);
  });

  it('asks for the node or bundle an object left: deleted, deleting or re-parented', () => {
    expect(inUseRequests({ type: 'delete', obj: app('a', 'web') })).toEqual([web]);
    expect(inUseRequests({ type: 'update', obj: app('a', 'api'), old: app('a', 'web') })).toEqual([web]);
    const leaving = { ...app('a', 'web'), metadata: meta('a', { deletionTimestamp: at }) } as KureResource;
    expect(inUseRequests({ type: 'update', obj: leaving, old: app('a', 'web') })).toEqual([web]);
    expect(inUseRequests({ type: 'update', obj: app('a', 'web'), old: app('a', 'web') })).toEqual([]);
    // A deleted bundle: its node.
    expect(inUseRequests({ type: 'delete', obj: bundle('web', { finalizers: [IN_USE_FINALIZER] }) })).toEqual([{ kind: 'KureNode', namespace: NS, name: 'apps' }]);
  });
});

describe('InUseReconciler', () => {
  function setup() {
    const cache = new FakeCache();
    cache.put(...new ClusterBuilder('prod', { namespace: NS, repository: { url: 'http://g/r.git' } }).withNode('apps').withBundle('web').withApplication('a', configMapApp('a')).end().end().resources());
    const kube = new FakeKube(cache);
    const events = new FakeEvents();
    const r = new InUseReconciler(cache, kube, pino({ level: 'silent' }), events);
    const reconcile = (kind: 'KureBundle' | 'KureNode', name: string) => r.reconcile({ kind, namespace: NS, name });
    const deleting = (kind: 'KureBundle' | 'KureNode', name: string) => cache.patch(kind, NS, name, (o) => (o.metadata.deletionTimestamp = at));
    return { cache, kube, events, reconcile, deleting };
  }

  it('adds the finalizer to a live node and bundle, once, keeping others', async () => {
    const { cache, kube, reconcile } = setup();
    cache.patch('KureBundle', NS, 'web', (o) => (o.metadata.finalizers = ['example.com/keep']));
    await reconcile('KureBundle', 'web');
    await reconcile('KureNode', 'apps');
    await reconcile('KureBundle', 'web');
    expect(kube.finalizerWrites).toEqual([
      { name: 'web', finalizers: ['example.com/keep', IN_USE_FINALIZER] },
      { name: 'apps', finalizers: [IN_USE_FINALIZER] },
    ]);
  });

  it('keeps it on a deleting bundle while a live object names it, says so, and removes it when none does', async () => {
    const { cache, kube, events, reconcile, deleting } = setup();
    await reconcile('KureBundle', 'web');
    await reconcile('KureNode', 'apps');
    deleting('KureNode', 'apps');
    deleting('KureBundle', 'web');
    kube.finalizerWrites.length = 0;
    await reconcile('KureBundle', 'web');
    await reconcile('KureNode', 'apps'); // in use through the deleting bundle
    expect(kube.finalizerWrites).toEqual([]);
    expect(events.events).toContainEqual(expect.objectContaining({ kind: 'KureBundle', name: 'web', type: 'Warning', reason: 'InUse', note: expect.stringContaining('KureApplication platform/a') }));
    expect(events.events).toContainEqual(expect.objectContaining({ kind: 'KureNode', name: 'apps', reason: 'InUse', note: expect.stringContaining('KureApplication platform/a') }));
    cache.delete('KureApplication', NS, 'a');
    await reconcile('KureBundle', 'web');
    expect(kube.finalizerWrites).toEqual([{ name: 'web', finalizers: [] }]);
    cache.delete('KureBundle', NS, 'web'); // what the API server does once the last finalizer is gone
    await reconcile('KureNode', 'apps');
    expect(kube.finalizerWrites).toEqual([{ name: 'web', finalizers: [] }, { name: 'apps', finalizers: [] }]);
  });

  it('a conflict (the object moved since the cache saw it) comes back after a second, quietly; other errors throw', async () => {
    const { kube, reconcile } = setup();
    kube.setFinalizers = async () => {
      throw Object.assign(new Error('conflict'), { code: 409 });
    };
    await expect(reconcile('KureBundle', 'web')).resolves.toEqual({ requeueAfterMs: 1000 });
    kube.setFinalizers = async () => {
      throw Object.assign(new Error('forbidden'), { code: 403 });
    };
    await expect(reconcile('KureBundle', 'web')).rejects.toThrow('forbidden');
  });
});
