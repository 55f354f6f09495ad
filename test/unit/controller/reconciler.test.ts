import pino from 'pino';
import type { KureResource } from '../../../src/api/schema.js';
import { ClusterReconciler, type ClusterReconcilerDeps } from '../../../src/controller/cluster-reconciler.js';
import { DetachedReconciler } from '../../../src/controller/detached-reconciler.js';
import { StatusWriter } from '../../../src/controller/status-writer.js';
import { TerminalError, type ObjectRequest } from '../../../src/controller/reconcile.js';
import { VERSION } from '../../../src/version.js';
import { FINALIZER, IN_USE_FINALIZER } from '../../../src/controller/finalizer.js';
import { assemble, isRenderable } from '../../../src/model/assemble.js';
import { fileOwners, render } from '../../../src/render/index.js';
import { ClusterBuilder, type ClusterConfig } from '../../../src/model/builder.js';
import { configMap, configMapApp } from '../support/fleet.js';
import { FakeCache, FakeEvents, FakeKube, FakeSink, GitError } from './support/fakes.js';

const NS = 'platform';
const REPOSITORY = { url: 'http://git.local/fleet.git', path: 'clusters/prod', secretRef: { name: 'git' } };

/** The fleet of these tests: cluster prod, node apps, bundle web, and an application (a ConfigMap) per name. */
const fleet = (config: ClusterConfig = {}, apps = ['a', 'b']): KureResource[] => {
  const web = new ClusterBuilder('prod', { namespace: NS, repository: REPOSITORY, ...config }).withNode('apps').withBundle('web');
  for (const name of apps) web.withApplication(name, configMapApp(name));
  return web.end().end().resources();
};

// Single objects, for changes to the fleet (some of them malformed on purpose).
const meta = (name: string, namespace = NS) => ({ name, namespace });
const cluster = (spec: Record<string, unknown> = {}): KureResource =>
  ({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureCluster', metadata: meta('prod'), spec: { gitops: { engine: 'flux' }, repository: REPOSITORY, ...spec } }) as KureResource;
const node = (name: string, ref: Record<string, unknown> = { clusterRef: { name: 'prod' } }): KureResource =>
  ({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureNode', metadata: meta(name), spec: ref }) as KureResource;
const bundle = (name: string, nodeName = 'apps', extra: Record<string, unknown> = {}): KureResource =>
  ({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureBundle', metadata: meta(name), spec: { nodeRef: { name: nodeName }, ...extra } }) as KureResource;
const app = (name: string, bundleName = 'web', data: Record<string, string> = { a: '1' }, namespace = NS, bundleNs?: string): KureResource =>
  ({
    apiVersion: 'kure.dev/v1alpha1',
    kind: 'KureApplication',
    metadata: meta(name, namespace),
    spec: {
      bundleRef: bundleNs ? { name: bundleName, namespace: bundleNs } : { name: bundleName },
      manifests: [configMap(name, data)],
    },
  }) as KureResource;

/**
 * The reconcile contract as one word: `success` (returned), `terminal` (threw a TerminalError: not
 * retried), `transient` (threw anything else: retried with backoff).
 */
class Reconciler {
  private readonly r: ClusterReconciler;
  /** Members' statuses are written in the background: each reconcile here waits for them. */
  private readonly statuses: StatusWriter;
  constructor(private readonly deps: ClusterReconcilerDeps) {
    this.statuses = new StatusWriter(deps.kube, deps.now ?? (() => new Date()));
    this.r = new ClusterReconciler({ ...deps, statuses: this.statuses });
  }
  async reconcile(key: string): Promise<{ outcome: 'success' | 'terminal' | 'transient'; requeueAfterMs?: number; error?: Error }> {
    const [namespace, name] = key.split('/') as [string, string];
    try {
      return { outcome: 'success', ...(await this.r.reconcile({ namespace, name })) };
    } catch (err) {
      return { outcome: err instanceof TerminalError ? 'terminal' : 'transient', error: err as Error };
    } finally {
      await this.statuses.idle();
    }
  }
  /** The detached reconcile of every object the cache holds (what the handlers would queue). */
  async detached(): Promise<void> {
    const d = new DetachedReconciler(this.deps.cache, this.deps.pipeline, new StatusWriter(this.deps.kube, () => new Date()), this.deps.events);
    for (const o of [...(this.deps.cache as FakeCache).objects.values()]) await d.reconcile({ kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name } as ObjectRequest);
  }
}

/** The trailer block: the last paragraph of a commit message. */
const trailers = (message: string): string[] => message.split('\n\n').at(-1)!.split('\n');

function setup(config: ClusterConfig = {}) {
  const cache = new FakeCache();
  const kube = new FakeKube(cache);
  const sink = new FakeSink();
  const events = new FakeEvents();
  const r = new Reconciler({ cache, kube, sink, events, pipeline: { assemble, isRenderable, render, owners: fileOwners }, logger: pino({ level: 'silent' }), now: () => new Date('2025-01-01T00:00:00Z') });
  cache.putSecret(NS, 'git', { username: 'kure', password: 'hunter2' });
  cache.put(...fleet(config));
  return { cache, kube, sink, events, r };
}

describe('Reconciler', () => {
  it('adds the finalizer, renders, commits once and marks every member Ready=Rendered', async () => {
    const { cache, kube, sink, events, r } = setup();
    const res = await r.reconcile(`${NS}/prod`);
    expect(res.outcome).toBe('success');
    expect(cache.get('KureCluster', NS, 'prod')?.metadata.finalizers).toEqual([FINALIZER]);
    expect(sink.commits).toHaveLength(1);
    expect(sink.commits[0]!.target).toMatchObject({ url: 'http://git.local/fleet.git', branch: 'main', path: 'clusters/prod', auth: { username: 'kure', password: 'hunter2' } });
    expect(sink.commits[0]!.message.split('\n')[0]).toBe(
      'kure: update platform/prod: KureBundle platform/web, KureApplication platform/a, KureApplication platform/b (6 files)',
    );
    expect(trailers(sink.commits[0]!.message)).toEqual([
      'Kure-Cluster: platform/prod',
      'Kure-Changed: KureBundle platform/web generation 1',
      'Kure-Changed: KureApplication platform/a generation 1',
      'Kure-Changed: KureApplication platform/b generation 1',
      `Kure-Version: ${VERSION}`,
    ]);
    for (const [kind, name] of [['KureCluster', 'prod'], ['KureNode', 'apps'], ['KureBundle', 'web'], ['KureApplication', 'a']] as const) {
      expect(kube.readyOf(kind, NS, name)).toMatchObject({ status: 'True', reason: 'Rendered', observedGeneration: 1 });
    }
    expect(cache.get('KureCluster', NS, 'prod')?.status).toMatchObject({ lastCommit: { sha: 'sha1', message: expect.stringMatching(/^kure: update platform\/prod: /) } });
    expect(events.events).toContainEqual(expect.objectContaining({ type: 'Normal', reason: 'Committed' }));
    expect(JSON.stringify([kube.statusWrites, events.events])).not.toContain('hunter2');
  });

  it('is idempotent: a second reconcile with nothing new makes no commit and no status write', async () => {
    const { kube, sink, r } = setup();
    await r.reconcile(`${NS}/prod`);
    const writes = kube.statusWrites.length;
    const res = await r.reconcile(`${NS}/prod`);
    expect(res).toMatchObject({ outcome: 'success' });
    expect(sink.commits).toHaveLength(1);
    expect(kube.statusWrites.length).toBe(writes);
  });

  it('a changed application gives one commit touching only its bundle and one status write for it', async () => {
    const { cache, kube, sink, r } = setup();
    await r.reconcile(`${NS}/prod`);
    const writes = kube.statusWrites.length;
    cache.put(app('a', 'web', { a: '2' }));
    await r.reconcile(`${NS}/prod`);
    expect(sink.commits).toHaveLength(2);
    expect(sink.commits[1]!.changedPaths.length).toBeGreaterThan(0);
    expect(sink.commits[1]!.changedPaths.filter((p) => !p.includes('/web/'))).toEqual([]);
    // Provenance: the commit names the application that made it, at its new generation.
    expect(sink.commits[1]!.message.split('\n')[0]).toBe('kure: update platform/prod: KureApplication platform/a (1 file)');
    expect(trailers(sink.commits[1]!.message)).toContain('Kure-Changed: KureApplication platform/a generation 2');
    expect(kube.statusWrites.slice(writes).map((w) => `${w.kind}/${w.name}`).sort()).toEqual(['KureApplication/a', 'KureCluster/prod']);
    // Each member names the commit that carries its current generation: a's moved, b's did not.
    expect(cache.get('KureApplication', NS, 'a')?.status).toMatchObject({ commit: 'sha2' });
    expect(cache.get('KureApplication', NS, 'b')?.status).toMatchObject({ commit: 'sha1' });
  });

  it('after a push (and only then) asks the engine to reconcile now', async () => {
    const { cache, sink, events, kube } = setup();
    const notified: { cluster: string; pokes: string[] }[] = [];
    const notifier = { notify: async (cluster: string, pokes: readonly { plural: string; name: string }[]) => (notified.push({ cluster, pokes: pokes.map((p) => `${p.plural}/${p.name}`) }), pokes.length) };
    const r = new Reconciler({ cache, kube, sink, events, notifier, pipeline: { assemble, isRenderable, render, owners: fileOwners }, logger: pino({ level: 'silent' }) });
    await r.reconcile(`${NS}/prod`);
    await r.reconcile(`${NS}/prod`); // nothing new: no push, no poke
    expect(notified).toEqual([{ cluster: `${NS}/prod`, pokes: ['gitrepositories/flux-system'] }]);
  });

  it('credits the files of a deleted application to it, marked deleted', async () => {
    const { cache, sink, r } = setup();
    await r.reconcile(`${NS}/prod`);
    cache.delete('KureApplication', NS, 'b');
    await r.reconcile(`${NS}/prod`);
    expect(sink.commits).toHaveLength(2);
    expect(sink.commits[1]!.message.split('\n')[0]).toBe('kure: update platform/prod: KureApplication platform/b (2 files)');
    expect(trailers(sink.commits[1]!.message)).toEqual(['Kure-Cluster: platform/prod', 'Kure-Changed: KureApplication platform/b (deleted)', `Kure-Version: ${VERSION}`]);
  });

  it('a commit that only restores hand edits is a drift repair that credits nobody', async () => {
    const { cache, sink, r } = setup();
    await r.reconcile(`${NS}/prod`);
    // Someone edits a.yaml in Git; the next sync restores it (the fake reports it as drifted).
    sink.remote.get('http://git.local/fleet.git#main')!.set('clusters/prod/nodes/apps/web/a.yaml', 'hand edit\n');
    sink.drift = ['nodes/apps/web/a.yaml'];
    await r.reconcile(`${NS}/prod`);
    expect(sink.commits[1]!.message.split('\n')[0]).toBe('kure: repair drift in platform/prod (1 file edited outside Kure)');
    expect(trailers(sink.commits[1]!.message)).toEqual(['Kure-Cluster: platform/prod', 'Kure-Drift-Repair: 1', `Kure-Version: ${VERSION}`]);
    // A later change of the application is credited to it again.
    cache.put(app('a', 'web', { a: '3' }));
    await r.reconcile(`${NS}/prod`);
    expect(trailers(sink.commits[2]!.message)).toContain('Kure-Changed: KureApplication platform/a generation 2');
  });

  it('invalid input: precise reasons on the culprit; the culprits held back, the rest pushed', async () => {
    const { cache, kube, sink, events, r } = setup();
    cache.put(app('c', 'missing-bundle'));
    cache.put(bundle('broken', 'no-such-node'));
    cache.put({ ...bundle('cyclic'), spec: { nodeRef: { name: 'apps' }, dependsOn: [{ name: 'cyclic2' }] } } as KureResource);
    cache.put({ ...bundle('cyclic2'), spec: { nodeRef: { name: 'apps' }, dependsOn: [{ name: 'cyclic' }] } } as KureResource);
    const res = await r.reconcile(`${NS}/prod`);
    expect(res.outcome).toBe('success');
    expect(sink.commits).toHaveLength(1);
    // Git held nothing of the cycle: its bundles are there only as empty places, with no dependsOn.
    const pushed = sink.remote.get('http://git.local/fleet.git#main')!;
    expect(pushed.get('clusters/prod/nodes/apps/web/a.yaml')).toContain('name: a');
    expect(pushed.get('clusters/prod/flux/kustomizations/cyclic.yaml')).not.toContain('dependsOn');
    expect([...pushed.keys()].filter((p) => p.includes('/cyclic/'))).toEqual(['clusters/prod/nodes/apps/cyclic/kustomization.yaml']);
    expect(kube.readyOf('KureBundle', NS, 'cyclic')).toMatchObject({ status: 'False', reason: 'DependencyCycle' });
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Degraded', message: expect.stringContaining('KureBundle platform/cyclic') });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'True', reason: 'Rendered' });
    expect(events.events).toContainEqual(expect.objectContaining({ kind: 'KureBundle', name: 'cyclic', type: 'Warning', reason: 'DependencyCycle' }));
    // Orphans (dangling references) get their status from the detached reconcile.
    await r.detached();
    expect(kube.readyOf('KureApplication', NS, 'c')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringContaining('missing-bundle') });
    expect(kube.readyOf('KureBundle', NS, 'broken')).toMatchObject({ status: 'False', reason: 'NotFound' });
    // Told as an Event on the object when it first shows, not again while it stays.
    const onC = () => events.events.filter((e) => e.kind === 'KureApplication' && e.name === 'c');
    expect(onC()).toEqual([expect.objectContaining({ type: 'Warning', reason: 'NotFound' })]);
    await r.detached();
    expect(onC()).toHaveLength(1);
  });

  it('leaves out a NotAllowed application, still renders the rest, and says why on the application', async () => {
    const { cache, kube, sink, events, r } = setup();
    cache.put(app('intruder', 'web', { x: '1' }, 'team-b', NS));
    const res = await r.reconcile(`${NS}/prod`);
    expect(res.outcome).toBe('success');
    expect(sink.commits).toHaveLength(1);
    // The rest of the bundle is in Git; no file of the pushed tree mentions the intruder.
    const pushed = [...sink.remote.values()][0]!;
    expect(pushed.get('clusters/prod/nodes/apps/web/a.yaml')).toContain('name: a');
    expect([...pushed].filter(([, content]) => content.includes('intruder')).map(([p]) => p)).toEqual([]);
    expect(kube.readyOf('KureApplication', 'team-b', 'intruder')).toMatchObject({ status: 'False', reason: 'NotAllowed' });
    // The problem is an Event on the application itself, once (not again while it stays).
    const onIntruder = () => events.events.filter((e) => e.kind === 'KureApplication' && e.name === 'intruder');
    expect(onIntruder()).toEqual([expect.objectContaining({ type: 'Warning', reason: 'NotAllowed' })]);
    await r.reconcile(`${NS}/prod`);
    expect(onIntruder()).toHaveLength(1);
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('suspend: no push, Suspended everywhere', async () => {
    const { kube, sink, r } = setup({ suspend: true });
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(sink.commits).toHaveLength(0);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(kube.readyOf('KureApplication', NS, 'b')).toMatchObject({ status: 'False', reason: 'Suspended' });
  });

  it('Git failure: GitError on the cluster, ClusterNotReady on members, backoff; recovery clears it', async () => {
    const { kube, sink, events, r } = setup();
    sink.fail = new GitError('network', 'connect ECONNREFUSED http://kure:hunter2@git.local/fleet.git');
    const res = await r.reconcile(`${NS}/prod`);
    expect(res).toMatchObject({ outcome: 'transient' });
    const ready = kube.readyOf('KureCluster', NS, 'prod');
    expect(ready).toMatchObject({ status: 'False', reason: 'GitError', message: expect.stringContaining('(network)') });
    expect(ready?.message).not.toContain('hunter2');
    expect(kube.readyOf('KureNode', NS, 'apps')).toMatchObject({ status: 'False', reason: 'ClusterNotReady' });
    expect(events.events.find((e) => e.reason === 'GitError')?.note).not.toContain('hunter2');
    sink.fail = undefined;
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('failure stays where it starts: a bundle with a problem is held back at its last good state, the rest is pushed', async () => {
    const { cache, kube, sink, events, r } = setup();
    cache.put(bundle('api', 'apps'), app('x', 'api'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const before = new Map([...sink.remote.get('http://git.local/fleet.git#main')!]);
    // A dependsOn typo in web, and an invalid application in web: web is held; api changes and is pushed.
    cache.put(bundle('web', 'apps', { dependsOn: [{ name: 'nope' }] }), app('x', 'api', { x: '2' }));
    cache.put({ ...app('a'), spec: { bundleRef: { name: 'web' }, manifests: [{ apiVersion: 'v1', metadata: { name: 'no-kind' } }] } } as KureResource);
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const after = sink.remote.get('http://git.local/fleet.git#main')!;
    expect(after.get('clusters/prod/nodes/apps/api/x.yaml')).toContain('x: "2"');
    for (const [p, content] of before) if (p.includes('/web')) expect(after.get(p)).toBe(content); // web exactly as it was
    expect([...after.keys()].filter((p) => p.includes('/web')).sort()).toEqual([...before.keys()].filter((p) => p.includes('/web')).sort());
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Degraded', message: expect.stringContaining('held back at their last good state: KureBundle platform/web') });
    expect(kube.readyOf('KureBundle', NS, 'web')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringContaining('nope') });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'False' });
    expect(kube.readyOf('KureApplication', NS, 'b')).toMatchObject({ status: 'False', reason: 'HeldBack', message: expect.stringContaining('KureBundle platform/web is held back') });
    expect(kube.readyOf('KureApplication', NS, 'x')).toMatchObject({ status: 'True', reason: 'Rendered' });
    expect(events.events).toContainEqual(expect.objectContaining({ kind: 'KureBundle', name: 'web', type: 'Warning', reason: 'NotFound' }));
    // The push's own Event does not replace the Warning that names what is held back.
    expect(events.events).toContainEqual(expect.objectContaining({ kind: 'KureCluster', name: 'prod', type: 'Normal', reason: 'Committed' }));
    expect(events.events).toContainEqual(expect.objectContaining({ kind: 'KureCluster', name: 'prod', type: 'Warning', reason: 'Degraded', note: expect.stringContaining('KureBundle platform/web') }));
    // Fixed: web is rendered from its spec again.
    cache.put(bundle('web', 'apps'), app('a', 'web', { a: '9' }));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(sink.remote.get('http://git.local/fleet.git#main')!.get('clusters/prod/nodes/apps/web/a.yaml')).toContain('a: "9"');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Rendered' });
    expect(kube.readyOf('KureApplication', NS, 'b')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('holds the whole cluster when a problem is outside any bundle or node, or, before its first push, outside any bundle', async () => {
    const { cache, kube, sink, r } = setup();
    cache.put(node('apps', { clusterRef: { name: 'prod' }, source: { kind: 'NoSuchKind', name: 'x' } }));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'False', message: expect.stringContaining('KureNode platform/apps is not inside a bundle (after a restart only bundles can be read back from the branch)') });
    cache.put(node('apps'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    // The cluster's own problem: its path overlaps another cluster's.
    cache.put({ ...cluster(), metadata: meta('dev'), spec: { gitops: { engine: 'flux' }, repository: { url: 'http://git.local/fleet.git', path: 'clusters/prod/dev' } } } as KureResource);
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(kube.readyOf('KureCluster', NS, 'prod')?.message).toContain('KureCluster platform/prod is not inside a bundle or node');
    expect(sink.commits).toHaveLength(1);
  });

  it('after a restart, a bundle with a problem is held back at what the branch holds of it; the rest is pushed', async () => {
    const { cache, kube, sink, events, r } = setup();
    cache.put(bundle('api', 'apps', { interval: '5m' }), app('x', 'api'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const files = () => sink.remote.get('http://git.local/fleet.git#main')!;
    const api = new Map([...files()].filter(([p]) => p.includes('api')));
    // A new process (nothing pushed by it yet) meets a dependsOn typo and an invalid application in api.
    const restarted = new Reconciler({ cache, kube, sink, events, pipeline: { assemble, isRenderable, render, owners: fileOwners }, logger: pino({ level: 'silent' }) });
    cache.put(bundle('api', 'apps', { interval: '1m', dependsOn: [{ name: 'nope' }] }));
    cache.put({ ...app('x', 'api'), spec: { bundleRef: { name: 'api' }, manifests: [{ apiVersion: 'v1', metadata: { name: 'no-kind' } }] } } as KureResource);
    cache.put(app('a', 'web', { a: '2' }));
    expect((await restarted.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(files().get('clusters/prod/nodes/apps/web/a.yaml')).toContain('a: "2"');
    expect(new Map([...files()].filter(([p]) => p.includes('api')))).toEqual(api);
    expect(files().get('clusters/prod/flux/kustomizations/api.yaml')).toContain('interval: 5m');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Degraded', message: expect.stringContaining('KureBundle platform/api') });
    expect(kube.readyOf('KureBundle', NS, 'api')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringContaining('nope') });
    // Fixed: api is rendered from its spec again, and from then on this process keeps it in memory.
    cache.put(bundle('api', 'apps', { interval: '1m' }), app('x', 'api', { x: '3' }));
    expect((await restarted.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(files().get('clusters/prod/flux/kustomizations/api.yaml')).toContain('interval: 1m');
    expect(files().get('clusters/prod/nodes/apps/api/x.yaml')).toContain('x: "3"');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('a bundle or node new since the last push, with a problem, is held back at what Git holds of it: nothing', async () => {
    const { cache, kube, sink, r } = setup();
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    cache.put(bundle('fresh', 'apps', { dependsOn: [{ name: 'nope' }] }), app('y', 'fresh'));
    cache.put(node('new-node', { clusterRef: { name: 'prod' }, source: { kind: 'NoSuchKind', name: 'x' } }), bundle('under-new', 'new-node'));
    cache.put(app('a', 'web', { a: '2' }));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const files = [...sink.remote.get('http://git.local/fleet.git#main')!.keys()];
    expect(files.filter((p) => /fresh|new-node|under-new/.test(p))).toEqual([]);
    expect(sink.remote.get('http://git.local/fleet.git#main')!.get('clusters/prod/nodes/apps/web/a.yaml')).toContain('a: "2"');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Degraded', message: expect.stringContaining('KureBundle platform/fresh') });
    expect(kube.readyOf('KureApplication', NS, 'y')).toMatchObject({ status: 'False', reason: 'HeldBack', message: expect.stringContaining('KureBundle platform/fresh is not rendered until it is fixed (Git holds nothing of it yet)') });
    expect(kube.readyOf('KureBundle', NS, 'under-new')).toMatchObject({ status: 'False', reason: 'HeldBack' });
    expect(kube.readyOf('KureBundle', NS, 'fresh')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringMatching(/nope.*; not rendered until this is fixed$/) });
  });

  it('a node with a problem is held back with its whole subtree at its last good state', async () => {
    const { cache, kube, sink, r } = setup();
    cache.put(node('infra'), bundle('base', 'infra'), app('c', 'base'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const before = new Map([...sink.remote.get('http://git.local/fleet.git#main')!]);
    cache.put(node('apps', { clusterRef: { name: 'prod' }, source: { kind: 'NoSuchKind', name: 'x' } }), app('a', 'web', { a: '2' }), app('c', 'base', { c: '2' }));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const after = sink.remote.get('http://git.local/fleet.git#main')!;
    expect(after.get('clusters/prod/nodes/infra/base/c.yaml')).toContain('c: "2"');
    for (const [p, content] of before) if (p.includes('/web')) expect(after.get(p)).toBe(content);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Degraded', message: expect.stringContaining('KureNode platform/apps') });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'False', reason: 'HeldBack', message: expect.stringContaining('KureNode platform/apps is held back') });
  });

  it('deletion never prunes by surprise: a bundle deleted with applications under it stays in Git until they go', async () => {
    const { cache, kube, sink, events, r } = setup();
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const files = () => sink.remote.get('http://git.local/fleet.git#main')!;
    const web = new Map([...files()].filter(([p]) => p.includes('/web')));
    expect(web.size).toBeGreaterThan(0);
    cache.delete('KureBundle', NS, 'web');
    cache.put(bundle('api'), app('x', 'api'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(files().get('clusters/prod/nodes/apps/api/x.yaml')).toBeDefined();
    expect(new Map([...files()].filter(([p]) => p.includes('/web')))).toEqual(web);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Degraded', message: expect.stringContaining('KureBundle platform/web (deleted, with objects still under it)') });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringMatching(/KureBundle platform\/web not found; its last good state stays in Git/) });
    expect(events.events).toContainEqual(expect.objectContaining({ kind: 'KureApplication', name: 'b', type: 'Warning', reason: 'NotFound' }));
    // The applications go too: now the bundle is pruned.
    cache.delete('KureApplication', NS, 'a');
    cache.delete('KureApplication', NS, 'b');
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect([...files().keys()].filter((p) => p.includes('/web'))).toEqual([]);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('a node deleted with bundles under it keeps them in Git; re-parented, they render under their new node', async () => {
    const { cache, kube, sink, r } = setup();
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const files = () => sink.remote.get('http://git.local/fleet.git#main')!;
    const before = new Map([...files()]);
    cache.delete('KureNode', NS, 'apps');
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(new Map([...files()])).toEqual(before);
    expect(kube.readyOf('KureBundle', NS, 'web')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringContaining('KureNode platform/apps not found') });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'False', reason: 'HeldBack' });
    cache.put(node('teams'), bundle('web', 'teams'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(files().get('clusters/prod/nodes/teams/web/a.yaml')).toBeDefined();
    expect([...files().keys()].filter((p) => p.includes('nodes/apps/'))).toEqual([]);
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('after a restart, a deleting bundle or node (kure.dev/in-use holds it) with objects under it keeps what the branch holds of them', async () => {
    const { cache, kube, sink, events, r } = setup();
    cache.put(node('infra'), bundle('base', 'infra'), app('c', 'base'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    const files = () => sink.remote.get('http://git.local/fleet.git#main')!;
    const before = new Map([...files()]);
    const deleting = (kind: 'KureBundle' | 'KureNode', name: string) =>
      cache.patch(kind, NS, name, (o) => Object.assign(o.metadata, { deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: [IN_USE_FINALIZER] }));
    deleting('KureBundle', 'web');
    deleting('KureNode', 'infra');
    // A new process (nothing pushed by it yet, no tombstones in memory): only the API server's objects.
    const restarted = new Reconciler({ cache, kube, sink, events, pipeline: { assemble, isRenderable, render, owners: fileOwners }, logger: pino({ level: 'silent' }) });
    cache.put(bundle('api'), app('x', 'api'));
    expect((await restarted.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(files().get('clusters/prod/nodes/apps/api/x.yaml')).toBeDefined();
    const held = (tree: Map<string, string>) => new Map([...tree].filter(([p]) => /\/(web|infra|base)\b/.test(p)));
    expect(held(before).size).toBeGreaterThan(4);
    expect(held(files())).toEqual(held(before));
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Degraded', message: expect.stringContaining('KureBundle platform/web (deleted, with objects still under it)') });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringContaining('KureBundle platform/web not found') });
    expect(kube.readyOf('KureBundle', NS, 'base')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringContaining('KureNode platform/infra not found') });
    // What is under them goes: now they are pruned.
    for (const name of ['a', 'b', 'c']) cache.delete('KureApplication', NS, name);
    cache.delete('KureBundle', NS, 'base');
    expect((await restarted.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect([...files().keys()].filter((p) => /\/(web|infra|base)\b/.test(p))).toEqual([]);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('kstatus: Reconciling=True while a transient failure is retried, Stalled=True when retrying cannot help, neither once Ready', async () => {
    const { cache, kube, sink, r } = setup();
    const conditions = () => Object.fromEntries((cache.get('KureCluster', NS, 'prod')?.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
    sink.fail = new GitError('network', 'connect ECONNREFUSED');
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('transient');
    expect(conditions()).toEqual({ Ready: 'False/GitError', Reconciling: 'True/ProgressingWithRetry' });
    // Refused credentials: not retried (forges lock accounts after repeated failed logins) until the Secret changes.
    sink.fail = new GitError('auth', 'HTTP 401 authentication failed');
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(conditions()).toEqual({ Ready: 'False/GitError', Stalled: 'True/GitError' });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ reason: 'ClusterNotReady' });
    expect(cache.get('KureApplication', NS, 'a')?.status?.conditions?.map((c) => c.type)).toEqual(['Ready', 'Stalled']);
    sink.fail = undefined;
    // A problem of the cluster's own (its path overlaps another cluster's): nothing can be isolated.
    cache.put(app('c', 'missing-bundle'), { ...cluster(), metadata: meta('dev'), spec: { gitops: { engine: 'flux' }, repository: { url: 'http://git.local/fleet.git', path: 'clusters/prod/dev' } } } as KureResource);
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(conditions()).toEqual({ Ready: 'False/Duplicate', Stalled: 'True/Duplicate' });
    cache.delete('KureCluster', NS, 'dev');
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(conditions()).toEqual({ Ready: 'True/Rendered' });
    expect(cache.get('KureApplication', NS, 'a')?.status?.conditions?.map((c) => c.type)).toEqual(['Ready']);
  });

  it('echoes reconcile.fluxcd.io/requestedAt into status.lastHandledReconcileAt', async () => {
    const { cache, r } = setup();
    cache.put({ ...cluster(), metadata: { ...meta('prod'), annotations: { 'reconcile.fluxcd.io/requestedAt': '2025-01-01T10:00:00.123456789Z' } } } as KureResource);
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(cache.get('KureCluster', NS, 'prod')?.status).toMatchObject({ lastHandledReconcileAt: '2025-01-01T10:00:00.123456789Z' });
  });

  it('a malformed cluster: its own problem, Stalled; what would be its members say they reach no valid cluster', async () => {
    const { cache, kube, sink, r } = setup();
    cache.put(cluster({ repository: { url: 42 } }));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(sink.commits).toHaveLength(0);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: expect.stringContaining('spec.repository') });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'False', reason: 'NoCluster' });
  });

  it('a render failure is InvalidSpec on the cluster and Stalled, nothing pushed', async () => {
    const { cache, kube, sink, events } = setup();
    const r = new Reconciler({ cache, kube, sink, events, pipeline: { assemble, isRenderable, render: () => { throw new Error('boom in render'); } }, logger: pino({ level: 'silent' }) });
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: 'render failed: boom in render' });
    expect(sink.commits).toHaveLength(0);
  });

  it('deletionPolicy Delete with its Secret gone keeps the finalizer and says how to release it', async () => {
    const { cache, kube, sink, r } = setup({ deletionPolicy: 'Delete' });
    await r.reconcile(`${NS}/prod`);
    cache.secrets.clear();
    cache.patch('KureCluster', NS, 'prod', (o) => (o.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('transient');
    expect(cache.get('KureCluster', NS, 'prod')?.metadata.finalizers).toEqual([FINALIZER]);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ reason: 'NotFound', message: expect.stringContaining('spec.deletionPolicy: Retain') });
    expect(sink.removes).toHaveLength(0);
    // Released by switching to Retain: Git untouched.
    cache.patch('KureCluster', NS, 'prod', (o) => ((o.spec as { deletionPolicy?: string }).deletionPolicy = 'Retain'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(kube.finalizerWrites.at(-1)?.finalizers).toEqual([]);
  });

  it('deleting a malformed cluster releases it without touching Git', async () => {
    const { cache, kube, sink, r } = setup();
    cache.put(cluster({ repository: { url: 42 }, deletionPolicy: 'Delete' }));
    await r.reconcile(`${NS}/prod`);
    cache.patch('KureCluster', NS, 'prod', (o) => (o.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'));
    const res = await r.reconcile(`${NS}/prod`);
    expect(sink.removes).toHaveLength(0);
    expect(res.outcome).toBe('success');
    expect(kube.finalizerWrites.at(-1)?.finalizers).toEqual([]);
  });

  it('a missing or incomplete credentials Secret is a NotFound on the cluster, nothing pushed', async () => {
    const { cache, kube, sink, r } = setup();
    cache.secrets.clear();
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'False', reason: 'NotFound', message: expect.stringContaining('Secret platform/git') });
    cache.putSecret(NS, 'git', { user: 'x' });
    await r.reconcile(`${NS}/prod`);
    expect(kube.readyOf('KureCluster', NS, 'prod')?.message).toMatch(/username and password, or token/);
    cache.putSecret(NS, 'git', { token: 't0k3n' });
    await r.reconcile(`${NS}/prod`);
    expect(sink.commits[0]!.target.auth).toEqual({ token: 't0k3n' });
  });

  it('an unlabelled credentials Secret is SecretNotLabelled, told from an absent one by its metadata alone; labelling it pushes', async () => {
    const { cache, kube, sink, events, r } = setup();
    cache.putSecret(NS, 'git', { username: 'kure', password: 'hunter2' }, { team: 'platform' });
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    const message = `Secret platform/git (spec.repository.secretRef) is not labelled kure.dev/credentials=true; Kure only reads labelled Secrets: kubectl -n platform label secret git kure.dev/credentials=true`;
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'False', reason: 'SecretNotLabelled', message });
    expect(kube.readyOf('KureApplication', NS, 'a')).toMatchObject({ status: 'False', reason: 'ClusterNotReady', message: expect.stringContaining(message) });
    expect(events.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'SecretNotLabelled', note: message }));
    expect(sink.commits).toHaveLength(0);
    // Only the metadata was read: the unlabelled Secret's data never reached the controller.
    expect(kube.secretReads).toEqual([{ namespace: NS, name: 'git', view: 'metadata' }]);
    expect(JSON.stringify([kube.statusWrites, events.events])).not.toContain('hunter2');

    // Absent: NotFound, again by metadata alone.
    cache.secrets.clear();
    await r.reconcile(`${NS}/prod`);
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ reason: 'NotFound', message: 'Secret platform/git (spec.repository.secretRef) not found' });
    expect(kube.secretReads.map((x) => x.view)).toEqual(['metadata', 'metadata']);

    // Labelled (the informer then delivers it and re-queues the cluster): pushed with it.
    cache.putSecret(NS, 'git', { username: 'kure', password: 'hunter2' });
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(sink.commits[0]!.target.auth).toEqual({ username: 'kure', password: 'hunter2' });
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ status: 'True', reason: 'Rendered' });
  });

  it('reads a labelled Secret whose data the cache dropped, and a labelled one the watch has not delivered yet; never an unlabelled one', async () => {
    const { cache, kube, sink, r } = setup();
    const realSecret = cache.secret.bind(cache);
    // The cache holds only the metadata (no KureCluster referenced the Secret when it was cached).
    cache.secret = (ns, name) => {
      const s = realSecret(ns, name);
      return s && { metadata: s.metadata };
    };
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(sink.commits[0]!.target.auth).toEqual({ username: 'kure', password: 'hunter2' });
    expect(kube.secretReads).toEqual([{ namespace: NS, name: 'git', view: 'full' }]);

    // Not in the cache at all, but labelled on the server (watch lag): metadata first, then the Secret.
    cache.secret = () => undefined;
    kube.secretReads.length = 0;
    cache.put(app('c'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(kube.secretReads.map((x) => x.view)).toEqual(['metadata', 'full']);

    // The label removed between the cache's view and the read: not used.
    cache.secret = (ns, name) => ({ metadata: { namespace: ns, name, labels: { 'kure.dev/credentials': 'true' } } });
    cache.putSecret(NS, 'git', { token: 'other' }, {});
    cache.put(app('d'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ reason: 'SecretNotLabelled' });
    expect(sink.commits).toHaveLength(2);
  });

  it('with credentialsNamespaces, a secretRef outside them is NotAllowed and no Secret is read; inside, it is used', async () => {
    const cache = new FakeCache();
    const kube = new FakeKube(cache);
    const sink = new FakeSink();
    const deps = { cache, kube, sink, events: new FakeEvents(), pipeline: { assemble, isRenderable, render }, logger: pino({ level: 'silent' }) };
    cache.putSecret(NS, 'git', { token: 't0k3n' });
    cache.put(...fleet({}, ['a']));
    const outside = new Reconciler({ ...deps, credentialsNamespaces: ['ops', 'infra'] });
    expect((await outside.reconcile(`${NS}/prod`)).outcome).toBe('terminal');
    expect(kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({
      status: 'False',
      reason: 'NotAllowed',
      message:
        'Secret platform/git (spec.repository.secretRef): Kure reads credentials only in namespaces ops, infra (--credentials-namespaces, chart value controller.credentialsNamespaces); keep this KureCluster and its Secret in one of them, or add platform',
    });
    expect(kube.secretReads).toEqual([]);
    expect(sink.commits).toHaveLength(0);
    expect((await new Reconciler({ ...deps, credentialsNamespaces: [NS] }).reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(sink.commits[0]!.target.auth).toEqual({ token: 't0k3n' });
  });

  it('deletion with deletionPolicy Delete removes the path in one commit, then drops the finalizer', async () => {
    const { cache, kube, sink, r } = setup({ deletionPolicy: 'Delete' });
    await r.reconcile(`${NS}/prod`);
    cache.patch('KureCluster', NS, 'prod', (o) => (o.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(sink.removes).toEqual([expect.objectContaining({ path: 'clusters/prod' })]);
    expect([...sink.remote.values()][0]!.size).toBe(0);
    expect(kube.finalizerWrites.at(-1)).toEqual({ name: 'prod', finalizers: [] });
  });

  it('deletion with Retain leaves Git alone and drops the finalizer; Git failure keeps it', async () => {
    const { cache, kube, sink, r } = setup();
    await r.reconcile(`${NS}/prod`);
    cache.patch('KureCluster', NS, 'prod', (o) => (o.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'));
    expect((await r.reconcile(`${NS}/prod`)).outcome).toBe('success');
    expect(sink.removes).toHaveLength(0);
    expect(kube.finalizerWrites.at(-1)?.finalizers).toEqual([]);

    const s2 = setup({ deletionPolicy: 'Delete' });
    await s2.r.reconcile(`${NS}/prod`);
    s2.cache.patch('KureCluster', NS, 'prod', (o) => (o.metadata.deletionTimestamp = 'now'));
    s2.sink.fail = new GitError('auth', 'authentication failed');
    expect((await s2.r.reconcile(`${NS}/prod`)).outcome).toBe('transient');
    expect(s2.cache.get('KureCluster', NS, 'prod')?.metadata.finalizers).toEqual([FINALIZER]);
    expect(s2.kube.readyOf('KureCluster', NS, 'prod')).toMatchObject({ reason: 'GitError' });
  });

  it('a missing cluster is skipped', async () => {
    const { r } = setup();
    expect((await r.reconcile(`${NS}/nope`)).outcome).toBe('success');
  });
});
