// A tenant cannot escape its bundle, and cannot block the platform either: on the real API server,
// an application attached from another namespace that tries to grant itself cluster-admin gets
// Ready=False/NotAllowed, and everything else of its cluster is still committed.
import { assemble } from '../../../src/model/assemble.js';
import { render } from '../../../src/render/index.js';
import type { Manager } from '../../../src/controller/manager.js';
import type { GitServer } from '../../support/git-server.js';
import { applyAll, createGitSecret, installCrds, kureObject, lsTree, newNamespace, show, startGit, startTestManager, waitReady } from './harness.js';

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

it('a tenant escape is NotAllowed on that application; the rest of the cluster is committed', async () => {
  const platform = await newNamespace('kp');
  const team = await newNamespace('kt');
  git.createRepo('tenancy', { files: { 'README.md': 'fleet\n' } });
  await createGitSecret(platform);

  const objects = [
    kureObject('KureCluster', platform, 'prod', {
      gitops: { engine: 'flux' },
      repository: { url: git.url('tenancy'), branch: 'main', path: 'clusters/prod', secretRef: { name: 'git-auth' } },
    }),
    kureObject('KureNode', platform, 'apps', { clusterRef: { name: 'prod' } }),
    kureObject('KureBundle', platform, 'web', { nodeRef: { name: 'apps' } }),
    kureObject('KureBundle', platform, 'team', { nodeRef: { name: 'apps' }, targetNamespace: team, allowedNamespaces: [team] }),
    kureObject('KureApplication', platform, 'frontend', {
      bundleRef: { name: 'web' },
      manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frontend' }, data: { a: '1' } }],
    }),
    kureObject('KureApplication', team, 'api', {
      bundleRef: { name: 'team', namespace: platform },
      workload: { image: 'ghcr.io/acme/api:1.0.0', ports: [{ name: 'http', containerPort: 8080 }] },
    }),
    kureObject('KureApplication', team, 'escalate', {
      bundleRef: { name: 'team', namespace: platform },
      manifests: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'team-admin' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: team }],
        },
      ],
    }),
  ];
  await applyAll(objects);
  manager = await startTestManager([platform, team]);

  const refused = await waitReady('KureApplication', team, 'escalate', { status: 'False', reason: 'NotAllowed' }, 60_000);
  expect(refused.message).toBe(
    `spec.manifests[0]: ClusterRoleBinding team-admin: is cluster-scoped, and an application from namespace ${team} may place only namespaced objects, in namespace ${team} (KureBundle ${platform}/team can admit the kind with spec.tenancy.allowedClusterScopedKinds: [{group: rbac.authorization.k8s.io, kind: ClusterRoleBinding}])`,
  );
  await waitReady('KureCluster', platform, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
  for (const [ns, name] of [
    [platform, 'frontend'],
    [team, 'api'],
  ] as const)
    await waitReady('KureApplication', ns, name, { status: 'True', reason: 'Rendered' });

  // Committed: everything but the refused application, exactly what the shared core renders.
  const [cluster] = assemble(objects).clusters;
  const expected = ['README.md'];
  for (const [file, content] of render(cluster!.model)) {
    expected.push(`clusters/prod/${file}`);
    expect(show(git, 'tenancy', `clusters/prod/${file}`)).toBe(content);
  }
  expect(lsTree(git, 'tenancy')).toEqual(expected.sort());
  expect(expected).toContain('clusters/prod/nodes/apps/team/api.yaml');
  expect(expected).toContain('clusters/prod/nodes/apps/web/frontend.yaml');
  expect(expected.some((f) => f.includes('escalate'))).toBe(false);
  expect(lsTree(git, 'tenancy').map((f) => show(git, 'tenancy', f)).join('\n')).not.toContain('cluster-admin');
});
