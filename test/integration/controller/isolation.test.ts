// Failure stays where it starts, on the real API server and Git server: a dependsOn typo in one
// team's bundle holds that bundle at its last good state in Git while another team's change is
// pushed; the cluster says Degraded and names the bundle; fixing the typo renders it again. A bundle
// deleted while applications still name it stays in Git until they go (deletion never prunes by
// surprise).
import type { Manager } from '../../../src/controller/manager.js';
import type { GitServer } from '../../support/git-server.js';
import { kubeRequest } from '../../support/kube.js';
import { apply, applyAll, createGitSecret, deleteKure, getKure, installCrds, kureObject, lsTree, newNamespace, show, startGit, startTestManager, waitFor, waitReady } from './harness.js';

let git: GitServer;
let manager: Manager | undefined;

beforeAll(async () => {
  await installCrds();
  git = await startGit();
});
afterAll(async () => {
  await manager?.stop();
  await git?.stop();
});

const cm = (ns: string, name: string, bundle: string, v: string) =>
  kureObject('KureApplication', ns, name, { bundleRef: { name: bundle }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } }] });

/** Two teams' bundles (team-a with `teamA`'s spec) of one cluster, in a new namespace and repository; the manager started. */
async function twoTeams(prefix: string, repo: string, teamA: Record<string, unknown> = {}): Promise<string> {
  await manager?.stop();
  const ns = await newNamespace(prefix);
  git.createRepo(repo, { files: { 'README.md': 'fleet\n' } });
  await createGitSecret(ns);
  await applyAll([
    kureObject('KureCluster', ns, 'prod', { gitops: { engine: 'flux' }, repository: { url: git.url(repo), path: 'clusters/prod', secretRef: { name: 'git-auth' } } }),
    kureObject('KureNode', ns, 'apps', { clusterRef: { name: 'prod' } }),
    kureObject('KureBundle', ns, 'team-a', { nodeRef: { name: 'apps' }, ...teamA }),
    kureObject('KureBundle', ns, 'team-b', { nodeRef: { name: 'apps' } }),
    cm(ns, 'a', 'team-a', '1'),
    cm(ns, 'b', 'team-b', '1'),
  ]);
  manager = await startTestManager([ns]);
  await waitReady('KureApplication', ns, 'a');
  await waitReady('KureApplication', ns, 'b');
  return ns;
}

it('a bundle with a dependsOn typo is held back at its last good state; the other team is pushed', async () => {
  const ns = await twoTeams('kiso', 'isolation');
  const teamA = show(git, 'isolation', 'clusters/prod/flux/kustomizations/team-a.yaml');

  await apply(kureObject('KureBundle', ns, 'team-a', { nodeRef: { name: 'apps' }, dependsOn: [{ name: 'team-typo' }] }));
  await apply(cm(ns, 'b', 'team-b', '2'));
  await waitFor('team-b pushed', () => /v: "2"/.test(show(git, 'isolation', 'clusters/prod/nodes/apps/team-b/b.yaml')), 30_000);
  await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Degraded' });
  await waitReady('KureBundle', ns, 'team-a', { status: 'False', reason: 'NotFound' });
  await waitReady('KureApplication', ns, 'a', { status: 'False', reason: 'HeldBack' });
  expect(show(git, 'isolation', 'clusters/prod/flux/kustomizations/team-a.yaml')).toBe(teamA);

  await apply(kureObject('KureBundle', ns, 'team-a', { nodeRef: { name: 'apps' }, dependsOn: [{ name: 'team-b' }] }));
  await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' });
  await waitFor('team-a depends on team-b in Git', () => show(git, 'isolation', 'clusters/prod/flux/kustomizations/team-a.yaml').includes('team-b'), 30_000);
  await waitReady('KureApplication', ns, 'a');
});

it('a bundle deleted while applications name it stays in Git; they say NotFound with an Event; deleting them prunes it', async () => {
  const ns = await twoTeams('kdel', 'deletion');
  const teamA = () => lsTree(git, 'deletion', 'clusters/prod').filter((f) => f.includes('team-a')).map((f) => `${f}\n${show(git, 'deletion', f)}`);
  const before = teamA();
  expect(before.length).toBeGreaterThanOrEqual(2);

  await deleteKure('KureBundle', ns, 'team-a');
  await apply(cm(ns, 'b', 'team-b', '2'));
  await waitFor('team-b pushed', () => /v: "2"/.test(show(git, 'deletion', 'clusters/prod/nodes/apps/team-b/b.yaml')), 30_000);
  expect(teamA()).toEqual(before);
  const c = await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Degraded' });
  expect(c.message).toContain(`KureBundle ${ns}/team-a (deleted, with objects still under it)`);
  const a = await waitReady('KureApplication', ns, 'a', { status: 'False', reason: 'NotFound' });
  expect(a.message).toContain('its last good state stays in Git');
  await waitFor('a Warning Event on the application', async () => {
    const { body } = await kubeRequest<{ items: { type: string; reason: string; regarding: { kind: string; name: string } }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
    return body.items.find((e) => e.type === 'Warning' && e.reason === 'NotFound' && e.regarding.kind === 'KureApplication' && e.regarding.name === 'a');
  });

  await deleteKure('KureApplication', ns, 'a');
  await waitFor('team-a pruned', () => teamA().length === 0, 30_000);
  await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' });
});

it('after a restart, a bundle with a problem is held back at what the branch holds of it; the other team is pushed', async () => {
  const ns = await twoTeams('krst', 'restart', { interval: '5m' });
  const teamA = () => lsTree(git, 'restart', 'clusters/prod').filter((f) => f.includes('team-a')).map((f) => `${f}\n${show(git, 'restart', f)}`);
  const before = teamA();
  await manager?.stop();

  // While no controller runs, team-a gets a typo (and a new interval); then a new process starts with an empty cache.
  await apply(kureObject('KureBundle', ns, 'team-a', { nodeRef: { name: 'apps' }, interval: '1m', dependsOn: [{ name: 'team-typo' }] }));
  await apply(cm(ns, 'a', 'team-a', '2'));
  await apply(cm(ns, 'b', 'team-b', '2'));
  manager = await startTestManager([ns]);
  await waitFor('team-b pushed', () => /v: "2"/.test(show(git, 'restart', 'clusters/prod/nodes/apps/team-b/b.yaml')), 30_000);
  expect(teamA()).toEqual(before);
  const c = await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Degraded' });
  expect(c.message).toContain(`KureBundle ${ns}/team-a`);
  const a = await waitReady('KureApplication', ns, 'a', { status: 'False', reason: 'HeldBack' });
  expect(a.message).toContain('read back from the branch');

  await apply(kureObject('KureBundle', ns, 'team-a', { nodeRef: { name: 'apps' }, interval: '1m' }));
  await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' });
  expect(show(git, 'restart', 'clusters/prod/nodes/apps/team-a/a.yaml')).toMatch(/v: "2"/);
  expect(show(git, 'restart', 'clusters/prod/flux/kustomizations/team-a.yaml')).toContain('interval: 1m');
});

it('across a restart: a bundle deleted while an application names it waits (kure.dev/in-use) and stays in Git; deleting the application prunes it', async () => {
  const ns = await twoTeams('kinuse', 'in-use');
  const teamA = () => lsTree(git, 'in-use', 'clusters/prod').filter((f) => f.includes('team-a')).map((f) => `${f}\n${show(git, 'in-use', f)}`);
  const before = teamA();
  expect(before.length).toBeGreaterThanOrEqual(2);
  for (const [kind, name] of [['KureNode', 'apps'], ['KureBundle', 'team-a'], ['KureBundle', 'team-b']] as const) {
    await waitFor(`${kind} ${name} has kure.dev/in-use`, async () => (await getKure(kind, ns, name))?.metadata.finalizers?.includes('kure.dev/in-use'));
  }
  await manager?.stop();

  // Deleted while no controller runs (a Helm upgrade, say): the finalizer keeps it in the API server.
  await deleteKure('KureBundle', ns, 'team-a');
  expect((await getKure('KureBundle', ns, 'team-a'))?.metadata.deletionTimestamp).toBeDefined();
  await apply(cm(ns, 'b', 'team-b', '2'));
  manager = await startTestManager([ns]);
  await waitFor('team-b pushed', () => /v: "2"/.test(show(git, 'in-use', 'clusters/prod/nodes/apps/team-b/b.yaml')), 30_000);
  expect(teamA()).toEqual(before);
  const c = await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Degraded' });
  expect(c.message).toContain(`KureBundle ${ns}/team-a (deleted, with objects still under it)`);
  const a = await waitReady('KureApplication', ns, 'a', { status: 'False', reason: 'NotFound' });
  expect(a.message).toContain('stays in Git');
  await waitFor('an InUse Warning Event on the bundle', async () => {
    const { body } = await kubeRequest<{ items: { type: string; reason: string; note?: string; regarding: { kind: string; name: string } }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
    return body.items.find((e) => e.type === 'Warning' && e.reason === 'InUse' && e.regarding.kind === 'KureBundle' && e.regarding.name === 'team-a' && e.note?.includes(`KureApplication ${ns}/a`));
  });
  expect(await getKure('KureBundle', ns, 'team-a')).toBeDefined();

  await deleteKure('KureApplication', ns, 'a');
  await waitFor('team-a released and gone from the API server', async () => (await getKure('KureBundle', ns, 'team-a')) === undefined, 30_000);
  await waitFor('team-a pruned', () => teamA().length === 0, 30_000);
  await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' });
  expect(show(git, 'in-use', 'clusters/prod/nodes/apps/team-b/b.yaml')).toMatch(/v: "2"/);
});
