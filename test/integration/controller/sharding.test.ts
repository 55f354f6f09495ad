// Sharding (--shard-selector) on the real API server: two controllers, each with its own Lease,
// split four clusters by a label; each pushes only its own clusters (their members follow them),
// and moving a cluster to the other shard by relabelling it hands it over.
import { leaseNameFor, type Manager } from '../../../src/controller/manager.js';
import type { ClusterRequest } from '../../../src/controller/reconcile.js';
import type { GitServer } from '../../support/git-server.js';
import { kubeRequest } from '../../support/kube.js';
import { applyAll, apply, createGitSecret, installCrds, kureObject, lsTree, newNamespace, startGit, startTestManager, waitFor, waitReady } from './harness.js';

let git: GitServer;
const managers: Manager[] = [];

beforeAll(async () => {
  await installCrds();
  git = await startGit();
});
afterAll(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  await git?.stop();
});

const cluster = (ns: string, name: string, shard: string | undefined, repo: string) => ({
  ...kureObject('KureCluster', ns, name, { gitops: { engine: 'flux' }, repository: { url: git.url(repo), path: `clusters/${name}`, secretRef: { name: 'git-auth' } } }),
  metadata: { name, namespace: ns, ...(shard ? { labels: { 'kure.dev/shard': shard } } : {}) },
});
const tree = (ns: string, name: string) => [
  kureObject('KureNode', ns, `${name}-root`, { clusterRef: { name } }),
  kureObject('KureBundle', ns, `${name}-apps`, { nodeRef: { name: `${name}-root` } }),
  kureObject('KureApplication', ns, `${name}-web`, { bundleRef: { name: `${name}-apps` }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-web` }, data: { a: '1' } }] }),
];

it('two shards each push only their own clusters, under their own Leases, and a relabelled cluster moves', async () => {
  const ns = await newNamespace('ksh');
  await createGitSecret(ns);
  const specs = [
    ['a1', 'a'],
    ['a2', 'a'],
    ['r1', undefined],
    ['r2', undefined],
  ] as const;
  for (const [name] of specs) git.createRepo(`shard-${name}`);
  await applyAll(specs.flatMap(([name, shard]) => [cluster(ns, name, shard, `shard-${name}`), ...tree(ns, name)]));

  const seen: Record<string, Set<string>> = { a: new Set(), rest: new Set() };
  const start = async (id: keyof typeof seen, shardSelector: string) => {
    const m = await startTestManager([ns], { shardSelector, leaderElect: true, leaderElectionNamespace: ns, identity: `shard-${id}`, leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 });
    m.onReconciled((r: ClusterRequest) => seen[id]!.add(r.name));
    managers.push(m);
    return m;
  };
  const [a, rest] = await Promise.all([start('a', 'kure.dev/shard=a'), start('rest', '!kure.dev/shard')]);
  await waitFor('both leaders', () => a.isLeader() && rest.isLeader(), 20_000);
  for (const [name] of specs) await waitReady('KureCluster', ns, name);
  for (const [name] of specs) expect(lsTree(git, `shard-${name}`)).toContain(`clusters/${name}/nodes/${name}-root/${name}-apps/${name}-web.yaml`);
  expect([...seen.a!].sort()).toEqual(['a1', 'a2']);
  expect([...seen.rest!].sort()).toEqual(['r1', 'r2']);

  // Each shard holds its own Lease, named from its selector.
  const holder = async (shardSelector: string) =>
    (await kubeRequest<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseNameFor({ leaderElectionId: 'kure-controller-leader', shardSelector })}`)).body.spec.holderIdentity;
  expect(await holder('kure.dev/shard=a')).toBe('shard-a');
  expect(await holder('!kure.dev/shard')).toBe('shard-rest');

  // r2 joins shard a: relabelling alone hands it over; its next change is pushed by the a controller only.
  seen.a!.clear();
  seen.rest!.clear();
  await apply(cluster(ns, 'r2', 'a', 'shard-r2'));
  await waitFor('r2 picked up by shard a on its relabel', () => seen.a!.has('r2'), 20_000);
  seen.a!.clear();
  await apply({ ...tree(ns, 'r2')[2]!, spec: { bundleRef: { name: 'r2-apps' }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'r2-web' }, data: { a: '2' } }] } });
  await waitFor('r2 reconciled by shard a', () => seen.a!.has('r2'), 20_000);
  await waitReady('KureApplication', ns, 'r2-web');
  expect(seen.rest!.has('r2')).toBe(false);
});
