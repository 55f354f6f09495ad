// Least privilege on Secrets, on the real API server: the controller lists and watches only Secrets
// labelled kure.dev/credentials=true, so an unlabelled Secret (the cluster's own, or anyone else's)
// never reaches its cache; a KureCluster naming an unlabelled Secret gets Ready=False/SecretNotLabelled,
// told from an absent one by a metadata-only GET, and labelling the Secret reconciles it at once; with
// credentialsNamespaces, Secrets are watched only there.
import type { V1Secret } from '@kubernetes/client-node';
import { KubeApi } from '../../../src/controller/kube.js';
import type { Manager } from '../../../src/controller/manager.js';
import type { GitServer } from '../../support/git-server.js';
import { kubeRequest, loadTestKubeConfig, serverSideApply } from '../../support/kube.js';
import {
  applyAll,
  commitCount,
  configMapApp,
  createGitSecret,
  GIT_PASSWORD,
  installCrds,
  kureObject,
  newNamespace,
  smallCluster,
  startGit,
  startTestManager,
  waitFor,
  waitReady,
} from './harness.js';

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

const label = (ns: string, name: string, value: string | null) =>
  kubeRequest('PATCH', `/api/v1/namespaces/${ns}/secrets/${name}`, { metadata: { labels: { 'kure.dev/credentials': value } } }, { contentType: 'application/merge-patch+json' });

it('caches only labelled Secrets; an unlabelled secretRef is SecretNotLabelled until labelled, an absent one NotFound', async () => {
  const ns = await newNamespace('kcred');
  const other = await newNamespace('kcred-other');
  git.createRepo('credentials');
  // The cluster's credentials, not labelled yet; another team's Secret beside them and in a second
  // watched namespace; and a labelled Secret no cluster references.
  await createGitSecret(ns, 'git-auth', undefined, {});
  await createGitSecret(ns, 'team-db', { password: 'team-db-password' }, {});
  await createGitSecret(other, 'other-db', { password: 'other-db-password' }, { 'kure.dev/credentials': 'false' });
  // As `kubectl apply` leaves it: the whole Secret, data included, in an annotation.
  await serverSideApply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'spare',
      namespace: other,
      labels: { 'kure.dev/credentials': 'true' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData: { token: 'spare-token' } }) },
    },
    stringData: { token: 'spare-token' },
  });
  await applyAll([
    ...smallCluster(ns, git.url('credentials')),
    configMapApp(ns, 'a', 'web', { a: '1' }),
    kureObject('KureCluster', ns, 'absent', {
      gitops: { engine: 'flux' },
      repository: { url: git.url('credentials'), branch: 'main', path: 'clusters/absent', secretRef: { name: 'missing' } },
    }),
  ]);
  manager = await startTestManager([ns, other]);
  const m = manager;
  const cached = () => m.cache.secrets!.list().map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`).sort();

  const notLabelled = await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'SecretNotLabelled' });
  expect(notLabelled.message).toBe(
    `Secret ${ns}/git-auth (spec.repository.secretRef) is not labelled kure.dev/credentials=true; Kure only reads labelled Secrets: kubectl -n ${ns} label secret git-auth kure.dev/credentials=true`,
  );
  await waitReady('KureApplication', ns, 'a', { status: 'False', reason: 'ClusterNotReady' });
  const absent = await waitReady('KureCluster', ns, 'absent', { status: 'False', reason: 'NotFound' });
  expect(absent.message).toBe(`Secret ${ns}/missing (spec.repository.secretRef) not found`);
  expect(commitCount(git, 'credentials')).toBe(0);

  // Only the labelled Secret is in the cache, and without its data: no cluster references it.
  expect(cached()).toEqual([`${other}/spare`]);
  expect(m.cache.secret(other, 'spare')).toEqual({ metadata: expect.objectContaining({ name: 'spare', labels: { 'kure.dev/credentials': 'true' } }) });
  expect(m.cache.secret(other, 'spare')?.metadata).not.toHaveProperty('annotations');
  const memory = JSON.stringify(m.cache.secrets!.list());
  for (const value of [GIT_PASSWORD, 'team-db-password', 'other-db-password', 'spare-token'].map((v) => [v, Buffer.from(v).toString('base64')]).flat()) {
    expect(memory).not.toContain(value);
  }

  // Labelled: the watch delivers it, the cluster is re-queued and pushed.
  await label(ns, 'git-auth', 'true');
  await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' });
  await waitReady('KureApplication', ns, 'a', { status: 'True', reason: 'Rendered' });
  expect(commitCount(git, 'credentials')).toBe(1);
  expect(cached()).toEqual([`${ns}/git-auth`, `${other}/spare`]);
  expect(m.cache.secret(ns, 'git-auth')?.data?.password).toBe(Buffer.from(GIT_PASSWORD).toString('base64'));

  // The label removed: it leaves the cache, and the cluster says so again.
  await label(ns, 'git-auth', null);
  await waitFor('git-auth to leave the cache', () => !m.cache.secret(ns, 'git-auth'));
  await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'SecretNotLabelled' });
  expect(cached()).toEqual([`${other}/spare`]);
}, 120_000);

it('reads a Secret by name as PartialObjectMetadata: the API server sends labels, not data', async () => {
  const ns = await newNamespace('kcred-meta');
  await createGitSecret(ns, 'plain', { password: 'plain-password' }, { team: 'a' });
  const api = new KubeApi(loadTestKubeConfig());
  const partial = (await api.readSecretPartial(ns, 'plain')) as V1Secret & Record<string, unknown>;
  expect(partial.kind).toBe('PartialObjectMetadata');
  expect(partial.data).toBeUndefined();
  expect(JSON.stringify(partial)).not.toContain(Buffer.from('plain-password').toString('base64'));
  expect(await api.readSecretMetadata(ns, 'plain')).toMatchObject({ namespace: ns, name: 'plain', labels: { team: 'a' } });
  expect(await api.readSecretMetadata(ns, 'nothing-here')).toBeUndefined();
});

it('with credentialsNamespaces, watches Secrets only there; a secretRef elsewhere is NotAllowed', async () => {
  const platform = await newNamespace('kcred-plat');
  const team = await newNamespace('kcred-team');
  git.createRepo('credentials-ns');
  await createGitSecret(platform, 'git-auth');
  await createGitSecret(team, 'git-auth'); // labelled, but not in a credentials namespace
  await applyAll([
    ...smallCluster(platform, git.url('credentials-ns')),
    ...smallCluster(team, git.url('credentials-ns'), { name: 'team', path: 'clusters/team' }),
  ]);
  const m = await startTestManager([platform, team], { credentialsNamespaces: [platform] });
  try {
    await waitReady('KureCluster', platform, 'prod', { status: 'True', reason: 'Rendered' });
    const refused = await waitReady('KureCluster', team, 'team', { status: 'False', reason: 'NotAllowed' });
    expect(refused.message).toBe(
      `Secret ${team}/git-auth (spec.repository.secretRef): Kure reads credentials only in namespace ${platform} (--credentials-namespaces, chart value controller.credentialsNamespaces); keep this KureCluster and its Secret in one of them, or add ${team}`,
    );
    expect(m.cache.secrets!.list().map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual([`${platform}/git-auth`]);
    expect(m.cache.secrets!.reflectors).toHaveLength(1);
  } finally {
    await m.stop();
  }
});
