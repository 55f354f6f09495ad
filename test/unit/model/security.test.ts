// Kure is a security boundary (issue 8): each tenancy and Secret rule with its exact message, both
// sides of each door the bundle can open, and a refused tenant never blocks the rest of its cluster.
import { parseResources } from '../../../src/cli/read.js';
import { assemble, isRenderable, type AssembleResult } from '../../../src/model/assemble.js';
import { formatProblem } from '../../../src/model/problems.js';
import { render } from '../../../src/render/index.js';

const cluster = (engine = 'flux') => `
apiVersion: kure.dev/v1alpha1
kind: KureCluster
metadata: {name: prod, namespace: platform}
spec:
  gitops: {engine: ${engine}}
  repository: {url: https://git.example.com/fleet.git}
`;
const node = `
apiVersion: kure.dev/v1alpha1
kind: KureNode
metadata: {name: infra, namespace: platform}
spec: {clusterRef: {name: prod}}
`;
const bundle = (name: string, spec = '') => `
apiVersion: kure.dev/v1alpha1
kind: KureBundle
metadata: {name: ${name}, namespace: platform}
spec: {nodeRef: {name: infra}${spec ? `, ${spec}` : ''}}
`;
const app = (name: string, spec: string, ns = 'team-a', bundleName = 'team') => `
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: ${name}, namespace: ${ns}}
spec: {bundleRef: {name: ${bundleName}${ns === 'platform' ? '' : ', namespace: platform'}}, ${spec}}
`;
const manifests = (...objs: string[]) => `manifests: [${objs.join(', ')}]`;
const cm = (name: string, ns?: string) => `{apiVersion: v1, kind: ConfigMap, metadata: {name: ${name}${ns ? `, namespace: ${ns}` : ''}}, data: {a: "1"}}`;
/** The tenant bundle: admits team-a, places it in namespace team-a. */
const TEAM = bundle('team', 'allowedNamespaces: [team-a], targetNamespace: team-a');

function assembleDocs(...docs: string[]): AssembleResult {
  const read = parseResources('test.yaml', docs.join('\n---\n'));
  expect(read.errors).toEqual([]);
  return assemble(read.resources);
}
const problemsOf = (...docs: string[]) => assembleDocs(...docs).problems.map(formatProblem);
const base = (engine = 'flux') => [cluster(engine), node];
const FROM = 'an application from namespace team-a';

describe('tenancy: an application attached from another namespace', () => {
  it('may place namespaced objects in the granted namespace', () => {
    expect(problemsOf(...base(), TEAM, app('ok', manifests(cm('a'), cm('b', 'team-a'), '{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: rb}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: ServiceAccount, name: default, namespace: team-a}]}')))).toEqual([]);
  });

  it.each([
    ['ClusterRoleBinding', 'rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io'],
    ['ClusterRole', 'rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io'],
    ['Namespace', 'v1', '""'],
    ['CustomResourceDefinition', 'apiextensions.k8s.io/v1', 'apiextensions.k8s.io'],
    ['ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', 'admissionregistration.k8s.io'],
    ['MutatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', 'admissionregistration.k8s.io'],
    ['PersistentVolume', 'v1', '""'],
    ['StorageClass', 'storage.k8s.io/v1', 'storage.k8s.io'],
    ['PriorityClass', 'scheduling.k8s.io/v1', 'scheduling.k8s.io'],
  ])('may not create a cluster-scoped %s', (kind, apiVersion, group) => {
    expect(problemsOf(...base(), TEAM, app('x', manifests(`{apiVersion: ${apiVersion}, kind: ${kind}, metadata: {name: it}}`)))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: ${kind} it: is cluster-scoped, and ${FROM} may place only namespaced objects, in namespace team-a (KureBundle platform/team can admit the kind with spec.tenancy.allowedClusterScopedKinds: [{group: ${group}, kind: ${kind}}])`,
    ]);
  });

  it('may not use a kind Kure cannot prove namespaced', () => {
    expect(problemsOf(...base(), TEAM, app('x', manifests('{apiVersion: cert-manager.io/v1, kind: ClusterIssuer, metadata: {name: letsencrypt}}')))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: ClusterIssuer letsencrypt: Kure cannot tell whether cert-manager.io/v1 ClusterIssuer is namespaced, so ${FROM} may use it only when KureBundle platform/team lists it: spec.tenancy.allowedKinds (namespaced) or spec.tenancy.allowedClusterScopedKinds: [{group: cert-manager.io, kind: ClusterIssuer}]`,
    ]);
  });

  it.each([
    ['kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'Flux'],
    ['helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'Flux'],
    ['argoproj.io/v1alpha1', 'Application', 'Argo CD'],
    ['argoproj.io/v1alpha1', 'AppProject', 'Argo CD'],
  ])('may not create a %s %s, which applies further content', (apiVersion, kind, engine) => {
    const group = apiVersion.split('/')[0];
    expect(problemsOf(...base(), TEAM, app('x', manifests(`{apiVersion: ${apiVersion}, kind: ${kind}, metadata: {name: sneaky}}`)))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: ${kind} sneaky: a ${kind} makes ${engine} apply further content with its own privileges, so ${FROM} may use it only when KureBundle platform/team lists it: spec.tenancy.allowedKinds: [{group: ${group}, kind: ${kind}}]`,
    ]);
  });

  it('may not place objects in another namespace', () => {
    expect(problemsOf(...base(), TEAM, app('x', manifests(cm('a', 'kube-system'), cm('b', 'team-b'))))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: ConfigMap a: metadata.namespace kube-system is not team-a, the namespace KureBundle platform/team grants ${FROM}`,
      `KureApplication team-a/x: spec.manifests[1]: ConfigMap b: metadata.namespace team-b is not team-a, the namespace KureBundle platform/team grants ${FROM}`,
    ]);
  });

  it('without a targetNamespace, is granted its own namespace and must say so on its objects', () => {
    const open = bundle('team', 'allowedNamespaces: [team-a]');
    expect(problemsOf(...base(), open, app('x', manifests(cm('a'), cm('b', 'team-a'), cm('c', 'platform'))))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: ConfigMap a: has no metadata.namespace; KureBundle platform/team has no targetNamespace, so set it to team-a, the namespace the bundle grants ${FROM}`,
      `KureApplication team-a/x: spec.manifests[2]: ConfigMap c: metadata.namespace platform is not team-a, the namespace KureBundle platform/team grants ${FROM}`,
    ]);
  });

  it('without a targetNamespace, gets its workload in its own namespace', () => {
    const result = assembleDocs(...base(), bundle('team', 'allowedNamespaces: [team-a]'), app('api', 'workload: {image: nginx, ports: [{containerPort: 80}]}'));
    expect(result.problems).toEqual([]);
    const tree = render(result.clusters[0]!.model);
    const file = tree.get('nodes/infra/team/api.yaml') ?? '';
    expect(file.match(/^ {2}namespace: team-a$/gm)).toHaveLength(2);
  });

  it('is checked inside Lists, which kustomize expands', () => {
    expect(problemsOf(...base(), TEAM, app('x', manifests(`{apiVersion: v1, kind: List, metadata: {name: wrapper}, items: [${cm('a')}, {apiVersion: v1, kind: Namespace, metadata: {name: kube-public}}]}`)))).toEqual([
      `KureApplication team-a/x: spec.manifests[0].items[1]: Namespace kube-public: is cluster-scoped, and ${FROM} may place only namespaced objects, in namespace team-a (KureBundle platform/team can admit the kind with spec.tenancy.allowedClusterScopedKinds: [{group: "", kind: Namespace}])`,
    ]);
  });

  it('may use helm only under the bundle service account, in the granted namespace', () => {
    const helm = (ns = '') => `helm: {chart: podinfo, repository: {url: "https://charts.example.com"}${ns ? `, namespace: ${ns}` : ''}}`;
    expect(problemsOf(...base(), TEAM, app('x', helm()), app('y', helm('kube-system')))).toEqual([
      `KureApplication team-a/x: spec.helm: a chart can create objects of any kind, so ${FROM} may use helm only when KureBundle platform/team sets spec.serviceAccountName (the chart is then installed as that service account)`,
      `KureApplication team-a/y: spec.helm.namespace: kube-system is not team-a, the namespace KureBundle platform/team grants ${FROM}`,
      `KureApplication team-a/y: spec.helm: a chart can create objects of any kind, so ${FROM} may use helm only when KureBundle platform/team sets spec.serviceAccountName (the chart is then installed as that service account)`,
    ]);
  });

  it('does not hold the platform own applications to tenancy', () => {
    expect(problemsOf(...base(), TEAM, app('crb', manifests('{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: it}}'), 'platform'))).toEqual([]);
  });
});

describe('a refused tenant never blocks its cluster', () => {
  const docs = () => [
    ...base(),
    bundle('web'),
    TEAM,
    app('frontend', manifests(cm('frontend')), 'platform', 'web'),
    app('good', manifests(cm('good'))),
    app('escape', manifests('{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: admin}}')),
  ];

  it('leaves the refused application out, reports it NotAllowed, renders the rest', () => {
    const result = assembleDocs(...docs());
    const [c] = result.clusters;
    expect(c!.problems.map((p) => [p.ref.name, p.reason, p.leftOut])).toEqual([['escape', 'NotAllowed', true]]);
    expect(isRenderable(c!)).toBe(true);
    const files = [...render(c!.model).keys()].filter((f) => f.startsWith('nodes/'));
    expect(files).toEqual(['nodes/infra/team/good.yaml', 'nodes/infra/team/kustomization.yaml', 'nodes/infra/web/frontend.yaml', 'nodes/infra/web/kustomization.yaml']);
  });

  it('leaves out a tenant with an invalid spec, a duplicate of a platform object, or an object that fails its schema', () => {
    const result = assembleDocs(
      ...base(),
      bundle('web', 'targetNamespace: team-a'),
      TEAM,
      app('frontend', manifests(cm('shared')), 'platform', 'web'),
      app('typo', `${manifests(cm('t'))}, workload: {image: nginx}`),
      app('clash', manifests(cm('shared'))),
      app('broken', manifests('{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: eighty}]}}')),
      app('good', manifests(cm('good'))),
    );
    const [c] = result.clusters;
    expect(c!.problems.map(formatProblem)).toEqual([
      'KureApplication team-a/broken: spec.manifests[0]: Service s (clusters/prod/nodes/infra/team/broken.yaml): spec.ports[0].port: must be an integer, not string',
      'KureApplication team-a/clash: spec.manifests[0]: ConfigMap team-a/shared is also produced by KureApplication platform/frontend; one object can have one owner',
      'KureApplication team-a/typo: spec: set exactly one of manifests, helm and workload (got manifests, workload)',
    ]);
    expect(isRenderable(c!)).toBe(true);
    const files = [...render(c!.model).keys()].filter((f) => f.startsWith('nodes/infra/team/'));
    expect(files).toEqual(['nodes/infra/team/good.yaml', 'nodes/infra/team/kustomization.yaml']);
  });

  it("leaves out a tenant that an engine's rule refuses (Argo CD has no helm valuesFrom), renders the rest", () => {
    const chart = "helm: {chart: podinfo, version: 6.5.0, repository: {url: 'https://stefanprodan.github.io/podinfo'}, valuesFrom: [{kind: Secret, name: v}]}";
    const team = bundle('team', 'allowedNamespaces: [team-a], targetNamespace: team-a, serviceAccountName: deployer');
    const result = assembleDocs(...base('argocd'), team, app('chart', chart), app('good', manifests(cm('good'))));
    const [c] = result.clusters;
    expect(c!.problems.map((p) => [formatProblem(p), p.leftOut])).toEqual([
      ['KureApplication team-a/chart: spec.helm.valuesFrom: Argo CD reads Helm values only from the repository (values); it has no valuesFrom from ConfigMaps or Secrets', true],
    ]);
    expect(isRenderable(c!)).toBe(true);
    expect(c!.model.nodes[0]!.bundles[0]!.applications.map((a) => a.name)).toEqual(['good']);
  });

  it('still fails the platform: its own schema violations block the cluster', () => {
    const result = assembleDocs(...base(), bundle('web'), app('svc', manifests('{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: eighty}]}}'), 'platform', 'web'));
    expect(result.problems.map(formatProblem)).toEqual([
      'KureApplication platform/svc: spec.manifests[0]: Service s (clusters/prod/nodes/infra/web/svc.yaml): spec.ports[0].port: must be an integer, not string',
    ]);
    expect(isRenderable(result.clusters[0]!)).toBe(false);
  });
});

describe('Secrets', () => {
  const secret = (extra: string) => `{apiVersion: v1, kind: Secret, metadata: {name: db}, ${extra}}`;
  const SOPS = 'sops: {mac: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", version: 3.9.0}';
  const ENC = '"ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]"';

  it.each([['data: {password: cGFzc3dvcmQ=}'], ['stringData: {password: hunter2}']])('refuses a plaintext Secret (%s), for every application', (extra) => {
    expect(problemsOf(...base(), bundle('web'), app('db', manifests(secret(extra)), 'platform', 'web'))).toEqual([
      'KureApplication platform/db: spec.manifests[0]: Secret db: holds data in plain text, and Kure does not commit plaintext Secrets to Git; encrypt it with SOPS (and set spec.decryption on KureBundle platform/web), or deliver it with External Secrets or Sealed Secrets',
    ]);
  });

  it('points an Argo CD cluster at External Secrets or Sealed Secrets, and refuses SOPS there', () => {
    expect(problemsOf(...base('argocd'), bundle('web'), app('db', manifests(secret('stringData: {password: hunter2}')), 'platform', 'web'), app('enc', manifests(secret(`stringData: {password: ${ENC}}, ${SOPS}`)), 'platform', 'web'))).toEqual([
      'KureApplication platform/db: spec.manifests[0]: Secret db: holds data in plain text, and Kure does not commit plaintext Secrets to Git; deliver it with External Secrets or Sealed Secrets',
      'KureApplication platform/enc: spec.manifests[0]: Secret db: is SOPS-encrypted, and Argo CD cannot decrypt SOPS; deliver it with External Secrets or Sealed Secrets',
    ]);
  });

  it('accepts a Secret without data, and never prints a value', () => {
    expect(problemsOf(...base(), bundle('web'), app('db', manifests(secret('type: kubernetes.io/service-account-token')), 'platform', 'web'))).toEqual([]);
    expect(problemsOf(...base(), bundle('web'), app('db', manifests(secret('stringData: {password: hunter2}')), 'platform', 'web')).join('\n')).not.toContain('hunter2');
  });

  it('refuses a SOPS-encrypted object when the bundle does not decrypt', () => {
    expect(problemsOf(...base(), bundle('web'), app('db', manifests(secret(`stringData: {password: ${ENC}}, ${SOPS}`)), 'platform', 'web'))).toEqual([
      'KureApplication platform/db: spec.manifests[0]: Secret db: is SOPS-encrypted, but KureBundle platform/web has no spec.decryption, so Flux would apply it undecrypted; set spec.decryption {provider: sops, secretRef: {name: <Secret holding the key>}}',
    ]);
  });

  it('a refused Secret leaves its application out; the rest renders', () => {
    const result = assembleDocs(...base(), bundle('web'), app('db', manifests(secret('stringData: {password: hunter2}')), 'platform', 'web'), app('ok', manifests(cm('ok')), 'platform', 'web'));
    const [c] = result.clusters;
    expect(isRenderable(c!)).toBe(true);
    const tree = render(c!.model);
    expect([...tree.keys()].filter((f) => f.startsWith('nodes/'))).toEqual(['nodes/infra/web/kustomization.yaml', 'nodes/infra/web/ok.yaml']);
    expect([...tree.values()].join('\n')).not.toContain('hunter2');
  });
});

describe('doors the bundle opens (refused without, accepted with)', () => {
  const clusterIssuer = '{apiVersion: cert-manager.io/v1, kind: ClusterIssuer, metadata: {name: letsencrypt}}';
  const certificate = (ns = '') => `{apiVersion: cert-manager.io/v1, kind: Certificate, metadata: {name: web${ns ? `, namespace: ${ns}` : ''}}, spec: {secretName: web-tls}}`;
  const clusterRole = '{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: team-a-reader}}';
  const kustomization = '{apiVersion: kustomize.toolkit.fluxcd.io/v1, kind: Kustomization, metadata: {name: sub}, spec: {interval: 10m, prune: true, sourceRef: {kind: GitRepository, name: team-a}}}';
  const withDoors = (tenancy: string) => bundle('team', `allowedNamespaces: [team-a], targetNamespace: team-a, tenancy: {${tenancy}}`);

  it('tenancy.allowedClusterScopedKinds admits exactly the listed cluster-scoped kinds', () => {
    const door = withDoors('allowedClusterScopedKinds: [{group: cert-manager.io, kind: ClusterIssuer}, {group: rbac.authorization.k8s.io, kind: ClusterRole}]');
    expect(problemsOf(...base(), door, app('x', manifests(clusterIssuer, clusterRole)))).toEqual([]);
    expect(problemsOf(...base(), door, app('x', manifests('{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}}')))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: ClusterRoleBinding b: is cluster-scoped, and ${FROM} may place only namespaced objects, in namespace team-a (KureBundle platform/team can admit the kind with spec.tenancy.allowedClusterScopedKinds: [{group: rbac.authorization.k8s.io, kind: ClusterRoleBinding}])`,
    ]);
  });

  it('tenancy.allowedKinds admits a custom namespaced kind, still only in the granted namespace', () => {
    expect(problemsOf(...base(), TEAM, app('x', manifests(certificate())))).toHaveLength(1);
    const door = withDoors('allowedKinds: [{group: cert-manager.io, kind: Certificate}]');
    expect(problemsOf(...base(), door, app('x', manifests(certificate(), certificate('team-a'))))).toEqual([]);
    expect(problemsOf(...base(), door, app('x', manifests(certificate('kube-system'))))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: Certificate web: metadata.namespace kube-system is not team-a, the namespace KureBundle platform/team grants ${FROM}`,
    ]);
  });

  it('tenancy.allowedKinds admits a Flux Kustomization', () => {
    expect(problemsOf(...base(), TEAM, app('x', manifests(kustomization)))).toHaveLength(1);
    expect(problemsOf(...base(), withDoors('allowedKinds: [{group: kustomize.toolkit.fluxcd.io, kind: Kustomization}]'), app('x', manifests(kustomization)))).toEqual([]);
  });

  it('spec.serviceAccountName admits helm, and is what the engine impersonates', () => {
    const helm = 'helm: {chart: podinfo, version: 6.7.1, repository: {url: "https://charts.example.com"}}';
    expect(problemsOf(...base(), TEAM, app('x', helm))).toHaveLength(1);
    const result = assembleDocs(...base(), bundle('team', 'allowedNamespaces: [team-a], targetNamespace: team-a, serviceAccountName: team-a-deployer'), app('x', helm));
    expect(result.problems).toEqual([]);
    const tree = render(result.clusters[0]!.model);
    expect(tree.get('flux/kustomizations/team.yaml')).toContain('\n  serviceAccountName: team-a-deployer\n');
    expect(tree.get('nodes/infra/team/x.yaml')).toContain('\n  serviceAccountName: team-a-deployer\n');
  });

  it('without targetNamespace, helm needs its namespace set to the tenant own', () => {
    const open = bundle('team', 'allowedNamespaces: [team-a], serviceAccountName: deployer');
    const helm = (ns = '') => `helm: {chart: podinfo, repository: {url: "https://charts.example.com"}${ns ? `, namespace: ${ns}` : ''}}`;
    expect(problemsOf(...base(), open, app('x', helm()))).toEqual([
      `KureApplication team-a/x: spec.helm.namespace: is required: KureBundle platform/team has no targetNamespace, so set it to team-a, the namespace the bundle grants ${FROM}`,
    ]);
    expect(problemsOf(...base(), open, app('x', helm('team-a')))).toEqual([]);
  });

  it('spec.decryption admits a SOPS-encrypted Secret (Flux), never a half-encrypted one', () => {
    const SOPS = 'sops: {mac: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", version: 3.9.0}';
    const ENC = '"ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]"';
    const decrypting = bundle('web', 'decryption: {provider: sops, secretRef: {name: sops-age}}');
    const secret = (data: string) => `{apiVersion: v1, kind: Secret, metadata: {name: db}, ${data}, ${SOPS}}`;
    expect(problemsOf(...base(), bundle('web'), app('db', manifests(secret(`data: {password: ${ENC}}`)), 'platform', 'web'))).toHaveLength(1);
    const result = assembleDocs(...base(), decrypting, app('db', manifests(secret(`data: {password: ${ENC}}, stringData: {user: ${ENC}}`)), 'platform', 'web'));
    expect(result.problems).toEqual([]);
    const tree = render(result.clusters[0]!.model);
    expect(tree.get('flux/kustomizations/web.yaml')).toContain('\n  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n');
    expect(problemsOf(...base(), decrypting, app('db', manifests(secret(`data: {password: ${ENC}}, stringData: {user: admin}`)), 'platform', 'web'))).toEqual([
      'KureApplication platform/db: spec.manifests[0]: Secret db: stringData.user is not encrypted (SOPS values look like ENC[AES256_GCM,data:...]); encrypt all of data and stringData with sops',
    ]);
  });

  it('refuses decryption on an Argo CD cluster, and tenancy without allowedNamespaces', () => {
    expect(problemsOf(...base('argocd'), bundle('web', 'decryption: {provider: sops, secretRef: {name: k}}'))).toEqual([
      'KureBundle platform/web: spec.decryption: Argo CD cannot decrypt SOPS; deliver Secrets with External Secrets or Sealed Secrets on an Argo CD cluster',
    ]);
    expect(problemsOf(...base(), bundle('web', 'tenancy: {allowedKinds: [{group: cert-manager.io, kind: Certificate}]}'))).toEqual([
      'KureBundle platform/web: spec.tenancy: tenancy applies to applications from other namespaces: set allowedNamespaces',
    ]);
    expect(problemsOf(...base(), withDoors('allowedKinds: [{group: Cert_Manager, kind: "1x"}]'))).toEqual([
      'KureBundle platform/team: spec.tenancy.allowedKinds[0].group: must match ^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$ (got "Cert_Manager")',
      'KureBundle platform/team: spec.tenancy.allowedKinds[0].kind: must match ^[A-Za-z][A-Za-z0-9]*$ (got "1x")',
    ]);
  });
});

describe('Argo CD: a bundle that admits other namespaces has its own AppProject', () => {
  it('is synced under it; the project allows only the granted namespace and no cluster-scoped kind', () => {
    const result = assembleDocs(...base('argocd'), TEAM, bundle('web'), app('api', 'workload: {image: nginx}'));
    expect(result.problems).toEqual([]);
    const tree = render(result.clusters[0]!.model);
    expect(tree.get('apps/kustomization.yaml')).toContain('- projects/team.yaml');
    expect(tree.get('apps/team.yaml')).toContain('\n  project: team\n');
    expect(tree.get('apps/web.yaml')).toContain('\n  project: default\n');
    expect(tree.get('apps/projects/team.yaml')).toBe(`apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team
  namespace: argocd
  labels:
    app.kubernetes.io/managed-by: kure
  annotations:
    argocd.argoproj.io/sync-wave: "0"
spec:
  description: Generated by Kure for KureBundle platform/team, which admits applications from other namespaces
  sourceRepos:
    - https://git.example.com/fleet.git
  destinations:
    - server: https://kubernetes.default.svc
      namespace: team-a
  clusterResourceWhitelist: []
`);
  });

  it('may not be named like the cluster project or Argo CD default project', () => {
    expect(problemsOf(...base('argocd'), bundle('default', 'allowedNamespaces: [team-a], targetNamespace: team-a'))).toEqual([
      "KureBundle platform/default: metadata.name: a bundle that admits other namespaces gets an Argo CD AppProject named after it, which would replace the AppProject default (the cluster's spec.gitops.argocd.project); rename the bundle",
    ]);
  });
});

describe('workload env from a Secret', () => {
  it('renders valueFrom.secretKeyRef, and refuses value and valueFrom together', () => {
    const env = '[{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}, {name: MODE, value: prod}]';
    const result = assembleDocs(...base(), bundle('web'), app('api', `workload: {image: nginx, env: ${env}}`, 'platform', 'web'));
    expect(result.problems).toEqual([]);
    expect(render(result.clusters[0]!.model).get('nodes/infra/web/api.yaml')).toContain(
      '          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n            - name: MODE\n              value: prod\n',
    );
    expect(problemsOf(...base(), bundle('web'), app('api', 'workload: {image: nginx, env: [{name: A, value: x, valueFrom: {secretKeyRef: {name: db, key: a}}}]}', 'platform', 'web'))).toEqual([
      'KureApplication platform/api: spec.workload.env[0]: set at most one of value and valueFrom',
    ]);
  });
});
