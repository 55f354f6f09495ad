// `kure render` is the same security boundary as the controller: a tenant escape, a plaintext Secret
// or an object that fails its schema exits 1 with the object and field named, and writes nothing.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';

const HIERARCHY = `
apiVersion: kure.dev/v1alpha1
kind: KureCluster
metadata: {name: prod, namespace: platform}
spec: {gitops: {engine: flux}, repository: {url: https://git.example.com/fleet.git}}
---
apiVersion: kure.dev/v1alpha1
kind: KureNode
metadata: {name: apps, namespace: platform}
spec: {clusterRef: {name: prod}}
---
apiVersion: kure.dev/v1alpha1
kind: KureBundle
metadata: {name: team-a, namespace: platform}
spec: {nodeRef: {name: apps}, targetNamespace: team-a, allowedNamespaces: [team-a]}
---
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: api, namespace: team-a}
spec:
  bundleRef: {name: team-a, namespace: platform}
  workload: {image: ghcr.io/acme/api:1.0.0}
`;

const application = (name: string, ns: string, manifests: string) => `
---
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: ${name}, namespace: ${ns}}
spec:
  bundleRef: {name: team-a, namespace: platform}
  manifests: ${manifests}
`;

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kure-cli-sec-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function render(extra: string) {
  const file = join(dir, 'in.yaml');
  writeFileSync(file, HIERARCHY + extra);
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['render', '-f', file, '-o', join(dir, 'out')], { out: (l) => out.push(l), err: (l) => err.push(l), stdin: () => '' });
  return { code, out, err };
}

describe('kure render refuses', () => {
  it('a tenant granting itself cluster-admin: exit 1, message, nothing written', async () => {
    const crb = '[{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: team-a-admin}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: team-a}]}]';
    const { code, out, err } = await render(application('escalate', 'team-a', crb));
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      'KureApplication team-a/escalate: spec.manifests[0]: ClusterRoleBinding team-a-admin: is cluster-scoped, and an application from namespace team-a may place only namespaced objects, in namespace team-a (KureBundle platform/team-a can admit the kind with spec.tenancy.allowedClusterScopedKinds: [{group: rbac.authorization.k8s.io, kind: ClusterRoleBinding}])',
      '1 problem found; nothing was written',
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a plaintext Secret, without echoing its value', async () => {
    const { code, err } = await render(application('db', 'team-a', '[{apiVersion: v1, kind: Secret, metadata: {name: db}, stringData: {password: hunter2}}]'));
    expect(code).toBe(1);
    expect(err[0]).toBe(
      'KureApplication team-a/db: spec.manifests[0]: Secret db: holds data in plain text, and Kure does not commit plaintext Secrets to Git; encrypt it with SOPS (and set spec.decryption on KureBundle platform/team-a), or deliver it with External Secrets or Sealed Secrets',
    );
    expect(err.join('\n')).not.toContain('hunter2');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('an object that fails its schema, naming object, file and field', async () => {
    const { code, err } = await render(application('svc', 'team-a', '[{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: "80"}], selectr: {a: b}}}]'));
    expect(code).toBe(1);
    expect(err).toEqual([
      'KureApplication team-a/svc: spec.manifests[0]: Service s (clusters/prod/nodes/apps/team-a/svc.yaml): spec.ports[0].port: must be an integer, not string',
      'KureApplication team-a/svc: spec.manifests[0]: Service s (clusters/prod/nodes/apps/team-a/svc.yaml): spec.selectr: unknown field',
      '2 problems found; nothing was written',
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('and renders the same hierarchy without the offender', async () => {
    const { code } = await render('');
    expect(code).toBe(0);
    expect(readdirSync(join(dir, 'out', 'clusters', 'prod', 'nodes', 'apps', 'team-a')).sort()).toEqual(['api.yaml', 'kustomization.yaml']);
  });
});
