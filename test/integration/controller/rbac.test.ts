// The controller with the chart's namespaced rights only (controller.namespaces set), on the real API
// server: `helm template` renders the ServiceAccount, the Roles and RoleBindings (and no ClusterRole);
// the controller runs in-process as that ServiceAccount (a TokenRequest token, no impersonation), syncs
// its informers, pushes a cluster with a labelled Secret, reports an unlabelled one, and holds its Lease;
// the same token can read no Secret outside the watched namespaces. With controller.credentialsNamespaces
// it cannot read the tenant namespace's Secrets either, and a cluster there is NotAllowed a secretRef.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { Manager } from '../../../src/controller/manager.js';
import { CONTAINERS_REQUIRED } from '../../support/container-engine.js';
import type { GitServer } from '../../support/git-server.js';
import { findHelm, helmTemplate, isHook } from '../../support/helm.js';
import { KubeApiError, kubeRequest, loadTestKubeConfig, serverSideApply, type KubeObject } from '../../support/kube.js';
import {
  applyAll,
  commitCount,
  configMapApp,
  createGitSecret,
  installCrds,
  newNamespace,
  smallCluster,
  startGit,
  startTestManager,
  waitFor,
  waitReady,
} from './harness.js';

const helmBin = findHelm();
if (!helmBin && !CONTAINERS_REQUIRED) process.stderr.write('\nnamespaced RBAC test skipped: no helm (scripts/build-helm.sh)\n');
const maybe = helmBin || CONTAINERS_REQUIRED ? describe : describe.skip;

maybe("the controller with the chart's namespaced Roles only", () => {
  let git: GitServer;
  const managers: Manager[] = [];

  beforeAll(async () => {
    if (!helmBin) throw new Error('helm not found: CI must build it (scripts/build-helm.sh)');
    await installCrds();
    git = await startGit();
  });

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.stop()));
  });

  afterAll(async () => {
    await git?.stop();
  });

  /** A KubeConfig that authenticates as the ServiceAccount, with a short-lived token of its own. */
  async function serviceAccountConfig(namespace: string, name: string): Promise<KubeConfig> {
    const { body } = await kubeRequest<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    const admin = loadTestKubeConfig().getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'test', server: admin.server, caData: admin.caData, caFile: admin.caFile, skipTLSVerify: admin.skipTLSVerify }],
      users: [{ name: 'sa', token: body.status.token }],
      contexts: [{ name: 'sa', cluster: 'test', user: 'sa' }],
      currentContext: 'sa',
    });
    return kc;
  }

  it.each([
    ['controller.namespaces', false],
    ['controller.namespaces and controller.credentialsNamespaces', true],
  ])('reconciles with Roles in its namespaces only (%s), and its token reads no Secret elsewhere', async (_name, credentialsOnlyInPlatform) => {
    const release = await newNamespace('krel');
    const platform = await newNamespace('kplat');
    const team = await newNamespace('kteam');
    const outside = await newNamespace('kout');

    const controller = { namespaces: [platform, team], ...(credentialsOnlyInPlatform ? { credentialsNamespaces: [platform] } : {}) };
    const rendered = await helmTemplate({ namespace: release, values: { controller } });
    expect(rendered.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    const rbac = rendered.filter((o) => !isHook(o) && ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind ?? ''));
    expect(rbac.map((o) => `${o.kind} ${o.metadata?.namespace}`).sort()).toEqual(
      [`Role ${platform}`, `Role ${release}`, `Role ${team}`, `RoleBinding ${platform}`, `RoleBinding ${release}`, `RoleBinding ${team}`, `ServiceAccount ${release}`].sort(),
    );
    for (const o of rbac) await serverSideApply({ ...o, metadata: { ...o.metadata, namespace: o.metadata?.namespace ?? release } } as KubeObject);
    const sa = rbac.find((o) => o.kind === 'ServiceAccount')!.metadata!.name!;
    const kc = await serviceAccountConfig(release, sa);

    // What the Roles do not grant: any Secret outside the watched namespaces, and Secrets cluster-wide.
    await createGitSecret(outside, 'elsewhere');
    const denied = async (p: string) => {
      const err = await kubeRequest('GET', p, undefined, { kc }).then(
        () => undefined,
        (e: unknown) => e,
      );
      return err instanceof KubeApiError ? err.status : err;
    };
    expect(await denied(`/api/v1/namespaces/${outside}/secrets/elsewhere`)).toBe(403);
    expect(await denied(`/api/v1/namespaces/${outside}/secrets`)).toBe(403);
    expect(await denied('/api/v1/secrets')).toBe(403);
    expect(await denied('/apis/kure.dev/v1alpha1/kureclusters')).toBe(403);
    // With credentialsNamespaces, not even the tenant namespace's Secrets.
    await createGitSecret(team, 'team-db', { password: 'x' }, {});
    expect(await denied(`/api/v1/namespaces/${team}/secrets/team-db`)).toBe(credentialsOnlyInPlatform ? 403 : undefined);

    // A cluster with a labelled Secret, one with an unlabelled Secret.
    const repo = `namespaced-${credentialsOnlyInPlatform ? 'creds' : 'plain'}`;
    git.createRepo(repo);
    await createGitSecret(platform, 'git-auth');
    await createGitSecret(team, 'git-auth', undefined, {});
    await applyAll([
      ...smallCluster(platform, git.url(repo)),
      configMapApp(platform, 'a', 'web', { a: '1' }),
      ...smallCluster(team, git.url(repo), { name: 'team', path: 'clusters/team' }),
    ]);

    const logs: string[] = [];
    const m = await startTestManager([platform, team], {
      logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
      kubeConfig: kc,
      credentialsNamespaces: controller.credentialsNamespaces,
      leaderElect: true,
      leaderElectionNamespace: release,
      leaderElectionId: 'kure-rbac-test',
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
    });
    managers.push(m);
    await waitFor('leadership', () => m.isLeader());
    await waitReady('KureCluster', platform, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
    await waitReady('KureApplication', platform, 'a', { status: 'True', reason: 'Rendered' });
    expect(commitCount(git, repo)).toBe(1);
    const reason = credentialsOnlyInPlatform ? 'NotAllowed' : 'SecretNotLabelled';
    await waitReady('KureCluster', team, 'team', { status: 'False', reason });
    expect(m.ready()).toBe(true);
    expect(m.cache.secrets!.list().map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual([`${platform}/git-auth`]);
    // The Warning Events were written with the Role's rights.
    const { body: events } = await kubeRequest<{ items: { reason: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${team}/events`);
    expect(events.items.map((e) => e.reason)).toContain(reason);
    // Nothing it called was denied, but for the poke of Flux's GitRepository in flux-system, which is not
    // a watched namespace: refused, said once, and the engine polls Git instead (docs/security.md).
    const denials = logs.filter((l) => /forbidden|\b403\b|not allowed/i.test(l)).map((l) => (JSON.parse(l) as { msg: string }).msg);
    // And the engines' objects, which the Applied condition watches cluster-wide: refused, said once each.
    const unreadable = (resource: string) =>
      `not allowed to list ${resource} cluster-wide (RBAC: get, list, watch; chart value controller.watchEngine): bundles' Applied is Unknown until it can be read; retrying with backoff`;
    expect([...denials].sort()).toEqual(
      [
        'not allowed to patch gitrepositories.source.toolkit.fluxcd.io: the engine picks the commit up at its interval (chart value controller.notifyEngine)',
        unreadable('kustomizations.kustomize.toolkit.fluxcd.io'),
        unreadable('applications.argoproj.io'),
      ].sort(),
    );
    expect(logs.some((l) => l.includes('pushed commit'))).toBe(true);
  }, 120_000);
});
