// The Flux fields users reach for (issue 10 item 4) and their Argo CD counterparts: shape and rules
// of each field, what each engine refuses, and the tenancy side of every field that reads objects of
// the cluster (postBuild.substituteFrom, helm valuesFrom) or rewrites objects (patches, force).
import { parseResources } from '../../../src/cli/read.js';
import { assemble, isRenderable, type AssembleResult } from '../../../src/model/assemble.js';
import { formatProblem } from '../../../src/model/problems.js';
import type { BundleModel } from '../../../src/model/types.js';
import { render } from '../../../src/render/index.js';
import { app, bundle, cluster, helm, node } from '../support/kure-yaml.js';

const cm = (name: string, data = 'a: "1"') => `{apiVersion: v1, kind: ConfigMap, metadata: {name: ${name}}, data: {${data}}}`;
const manifests = (...objs: string[]) => `manifests: [${objs.join(', ')}]`;

function assembleDocs(...docs: string[]): AssembleResult {
  const read = parseResources('test.yaml', docs.join('\n---\n'));
  expect(read.errors).toEqual([]);
  return assemble(read.resources);
}
const problemsOf = (...docs: string[]) => assembleDocs(...docs).problems.map(formatProblem);
const base = (engine = 'flux') => [cluster(engine), node()];
const bundleModel = (result: AssembleResult, name: string): BundleModel => {
  const found = result.clusters[0]!.model.nodes.flatMap((n) => n.bundles).find((b) => b.name === name);
  if (!found) throw new Error(`no bundle ${name}`);
  return found;
};

describe('bundle fields: shape and rules', () => {
  it('a bundle with every new Flux field assembles; health checks default to the targetNamespace for namespaced kinds', () => {
    const result = assembleDocs(
      ...base(),
      bundle(
        'web',
        [
          'targetNamespace: web',
          'force: true',
          'patches: [{patch: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: api}, spec: {replicas: 3}}"}, {patch: \'[{"op": "add", "path": "/metadata/labels/tier", "value": "web"}]\', target: {kind: Deployment}}]',
          'postBuild: {substitute: {domain: example.com, _CLUSTER2: prod}, substituteFrom: [{kind: ConfigMap, name: cluster-vars}, {kind: Secret, name: cluster-secrets, optional: true}]}',
          'healthChecks: [{apiVersion: apps/v1, kind: Deployment, name: api}, {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, name: certificates.cert-manager.io}, {apiVersion: apps/v1, kind: Deployment, name: other, namespace: ops}, {apiVersion: example.com/v1, kind: Widget, name: w}]',
          'healthCheckExprs: [{apiVersion: example.com/v1, kind: Widget, current: "status.ready == true", failed: "status.failed == true"}]',
        ].join(', '),
      ),
      app('api', manifests(cm('settings', 'host: "api.${domain}"'))),
    );
    expect(result.problems.map(formatProblem)).toEqual([]);
    const b = bundleModel(result, 'web');
    expect(b.force).toBe(true);
    expect(b.patches).toHaveLength(2);
    // maps sorted, as the API server stores them
    expect(Object.keys(b.postBuild?.substitute ?? {})).toEqual(['_CLUSTER2', 'domain']);
    expect(b.healthChecks?.map((h) => h.namespace)).toEqual(['web', undefined, 'ops', 'web']);
    expect(b.healthCheckExprs).toEqual([{ apiVersion: 'example.com/v1', kind: 'Widget', current: 'status.ready == true', failed: 'status.failed == true' }]);
  });

  it('without targetNamespace a health check keeps no namespace (Flux: the Kustomization namespace)', () => {
    const result = assembleDocs(...base(), bundle('web', 'healthChecks: [{apiVersion: apps/v1, kind: Deployment, name: api}]'));
    expect(result.problems).toEqual([]);
    expect(bundleModel(result, 'web').healthChecks).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }]);
  });

  it('unset and false fields stay out of the model', () => {
    const result = assembleDocs(...base(), bundle('web', 'force: false, patches: [], healthChecks: []'));
    expect(result.problems).toEqual([]);
    const b = bundleModel(result, 'web');
    expect(['force', 'patches', 'healthChecks', 'postBuild', 'components', 'argocd'].filter((k) => k in b)).toEqual([]);
  });

  it('refuses malformed fields, each by its field', () => {
    expect(
      problemsOf(
        ...base(),
        bundle(
          'web',
          [
            'patches: [{target: {kind: Deployment}}]',
            'postBuild: {substituteStrategy: Always, substituteFrom: [{kind: Namespace, name: x}]}',
            'healthChecks: [{kind: Deployment}]',
            'healthCheckExprs: [{apiVersion: v1, kind: ConfigMap}]',
            'force: "yes"',
          ].join(', '),
        ),
      ),
    ).toEqual([
      'KureBundle platform/web: spec.force: must be true or false, not string',
      'KureBundle platform/web: spec.healthCheckExprs[0].current: is required',
      'KureBundle platform/web: spec.healthChecks[0].apiVersion: is required',
      'KureBundle platform/web: spec.healthChecks[0].name: is required',
      'KureBundle platform/web: spec.patches[0].patch: is required',
      'KureBundle platform/web: spec.postBuild.substituteFrom[0].kind: must be one of: ConfigMap, Secret (got "Namespace")',
      'KureBundle platform/web: spec.postBuild.substituteStrategy: unknown field',
    ]);
  });

  it('patches must parse, and a JSON 6902 patch needs a target and operations with op and path', () => {
    const patches = (...p: string[]) => bundle('web', `patches: [${p.join(', ')}]`);
    expect(problemsOf(...base(), patches('{patch: "{a: [1"}', '{patch: "just text"}', '{patch: "[{op: add, path: /x, value: 1}]"}', '{patch: "[{value: 1}]", target: {kind: Deployment}}', '{patch: "[{op: add, path: /x, value: 1}]", target: {kind: Deployment}}', '{patch: "- {op: add, path: /x, value: 1}", target: {kind: Deployment}}', `{patch: ${JSON.stringify('[{"op": "add", "path": "/x", "value": 1}]')}, target: {kind: Deployment}}`))).toEqual([
      expect.stringMatching(/^KureBundle platform\/web: spec\.patches\[0\]\.patch: is not valid YAML: /),
      'KureBundle platform/web: spec.patches[1].patch: must be a strategic merge patch (an object) or a JSON 6902 patch (a list of operations)',
      'KureBundle platform/web: spec.patches[2].patch: starts with [, so kustomize reads it as JSON, and it is not valid JSON; write the operations as JSON, or as a YAML block list (- op: ...)',
      'KureBundle platform/web: spec.patches[2].target: is required for a JSON 6902 patch (a list of operations)',
      'KureBundle platform/web: spec.patches[3].patch: operation 0 needs op and path (JSON 6902)',
      'KureBundle platform/web: spec.patches[3].patch: starts with [, so kustomize reads it as JSON, and it is not valid JSON; write the operations as JSON, or as a YAML block list (- op: ...)',
      'KureBundle platform/web: spec.patches[4].patch: starts with [, so kustomize reads it as JSON, and it is not valid JSON; write the operations as JSON, or as a YAML block list (- op: ...)',
    ]);
  });

  it('postBuild.substitute names are Flux variable names', () => {
    expect(problemsOf(...base(), bundle('web', 'postBuild: {substitute: {1st: a, my-var: b, ok_1: c}}'))).toEqual([
      'KureBundle platform/web: spec.postBuild.substitute.1st: a variable name is letters, digits and _, not starting with a digit',
      'KureBundle platform/web: spec.postBuild.substitute.my-var: a variable name is letters, digits and _, not starting with a digit',
    ]);
  });

  it('components only for a bundle of a node source', () => {
    expect(problemsOf(...base(), bundle('web', 'components: [../components/x]'))).toEqual([
      'KureBundle platform/web: spec.components: is only allowed with spec.path (a bundle of a node source): Kure writes the directories of other bundles itself, so there are no components in them',
    ]);
    const vendor = node('vendor', '{kind: GitRepository, url: "https://git.example.com/vendor.git", ref: {branch: main}}');
    expect(problemsOf(cluster(), vendor, bundle('app', 'path: deploy/prod, components: [../../components/monitoring]', 'vendor'))).toEqual([]);
    expect(problemsOf(cluster(), vendor, bundle('app', 'path: deploy/prod, components: [/abs]', 'vendor'))).toEqual([
      'KureBundle platform/app: spec.components[0]: must match ^[^/] (got "/abs")',
    ]);
  });

  it('argocd.syncOptions are options Argo CD knows, with their values', () => {
    expect(problemsOf(...base('argocd'), bundle('web', 'argocd: {syncOptions: [ServerSideApply=true, CreateNamespace=maybe, Prune=true, PrunePropagationPolicy=orphan]}'))).toEqual([
      'KureBundle platform/web: spec.argocd.syncOptions[1]: CreateNamespace takes true or false',
      'KureBundle platform/web: spec.argocd.syncOptions[2]: unknown sync option Prune; Kure knows ApplyOutOfSyncOnly, ClientSideApplyMigration, CreateNamespace, FailOnSharedResource, Force, PruneLast, PrunePropagationPolicy, Replace, RespectIgnoreDifferences, ServerSideApply, SkipDryRunOnMissingResource, Validate',
    ]);
    expect(problemsOf(...base('argocd'), bundle('web', 'argocd: {syncOptions: ["bad option"]}'))).toEqual([
      'KureBundle platform/web: spec.argocd.syncOptions[0]: must match ^[A-Za-z]+=[A-Za-z]+$ (got "bad option")',
    ]);
  });

  it('argocd.retry: limit from -1, durations in Flux syntax', () => {
    expect(problemsOf(...base('argocd'), bundle('web', 'argocd: {retry: {limit: -2, backoff: {duration: 5 seconds, factor: 0}}}'))).toEqual([
      'KureBundle platform/web: spec.argocd.retry.backoff.duration: must be a duration such as 30s, 10m or 1h30m (got "5 seconds")',
      'KureBundle platform/web: spec.argocd.retry.backoff.factor: must be at least 1',
      'KureBundle platform/web: spec.argocd.retry.limit: must be at least -1',
    ]);
  });
});

describe('each engine refuses what it cannot do', () => {
  it('Argo CD: postBuild, force and helm valuesFrom have no counterpart', () => {
    expect(
      problemsOf(
        ...base('argocd'),
        bundle('web', 'force: true, postBuild: {substitute: {a: b}}'),
        app('chart', helm('podinfo', 'valuesFrom: [{kind: Secret, name: podinfo-values}]')),
      ),
    ).toEqual([
      'KureApplication platform/chart: spec.helm.valuesFrom: Argo CD reads Helm values only from the repository (values); it has no valuesFrom from ConfigMaps or Secrets',
      'KureBundle platform/web: spec.force: Argo CD has no counterpart (its Replace=true and Force=true sync options recreate objects on every sync; set them in spec.argocd.syncOptions if that is wanted)',
      'KureBundle platform/web: spec.postBuild: Argo CD has no variable substitution; template the values into the applications, or use a Flux cluster',
    ]);
  });

  it('Argo CD: patches of a bundle of only helm applications would patch nothing', () => {
    const patched = bundle('web', 'patches: [{patch: "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {b: c}}"}]');
    expect(problemsOf(...base('argocd'), patched, app('chart', helm('podinfo')))).toEqual([
      "KureBundle platform/web: spec.patches: Argo CD does not patch the objects of a Helm source, and this bundle has only helm applications (no directory to patch); use the charts' values",
    ]);
    expect(problemsOf(...base('argocd'), patched, app('chart', helm('podinfo')), app('a', manifests(cm('a'))))).toEqual([]);
    expect(problemsOf(...base(), patched, app('chart', helm('podinfo')))).toEqual([]);
  });

  it('Flux: spec.argocd is for Argo CD', () => {
    expect(problemsOf(...base(), bundle('web', 'argocd: {syncOptions: [ServerSideApply=true]}'))).toEqual([
      'KureBundle platform/web: spec.argocd: is for Argo CD, and KureCluster platform/prod uses flux (Flux applies server-side and retries at retryInterval)',
    ]);
  });

  it('healthChecks, healthCheckExprs, components and patches are accepted on Argo CD (mapped or documented as not mapped)', () => {
    expect(
      problemsOf(
        ...base('argocd'),
        bundle('web', 'healthChecks: [{apiVersion: apps/v1, kind: Deployment, name: api}], healthCheckExprs: [{apiVersion: example.com/v1, kind: Widget, current: "true"}], patches: [{patch: "- {op: add, path: /metadata/labels/a, value: b}", target: {kind: ConfigMap}}]'),
        app('a', manifests(cm('a'))),
        app('chart', helm('podinfo', 'install: {remediation: {retries: 3}}, upgrade: {remediation: {retries: -1, strategy: uninstall}}')),
      ),
    ).toEqual([]);
  });
});

describe('helm: valuesFrom, remediation, dependsOn', () => {
  it('accepts them on Flux', () => {
    expect(
      problemsOf(
        ...base(),
        bundle('web'),
        app('operator', helm('operator', 'install: {remediation: {retries: 3, remediateLastFailure: true}}, upgrade: {remediation: {retries: 2, strategy: rollback}}')),
        app('instances', helm('instances', 'dependsOn: [{name: operator}], valuesFrom: [{kind: ConfigMap, name: instance-values, valuesKey: values.yaml}, {kind: Secret, name: db, valuesKey: password, targetPath: db.password, optional: true}]')),
      ),
    ).toEqual([]);
  });

  it('refuses a malformed valuesFrom and remediation', () => {
    expect(problemsOf(...base(), bundle('web'), app('x', helm('x', 'valuesFrom: [{kind: Namespace, name: a, targetPath: "a b"}], upgrade: {remediation: {strategy: retry, retries: -5}}')))).toEqual([
      'KureApplication platform/x: spec.helm.upgrade.remediation.retries: must be at least -1',
      'KureApplication platform/x: spec.helm.upgrade.remediation.strategy: must be one of: rollback, uninstall (got "retry")',
      'KureApplication platform/x: spec.helm.valuesFrom[0].kind: must be one of: ConfigMap, Secret (got "Namespace")',
      expect.stringMatching(/^KureApplication platform\/x: spec\.helm\.valuesFrom\[0\]\.targetPath: must match /),
    ]);
  });

  it('dependsOn names a helm application of the same bundle and namespace; no self-dependency, no cycle', () => {
    expect(
      problemsOf(
        ...base(),
        bundle('web'),
        bundle('other'),
        app('self', helm('self', 'dependsOn: [{name: self}]')),
        app('lost', helm('lost', 'dependsOn: [{name: elsewhere}]')),
        app('elsewhere', helm('elsewhere'), 'platform', 'other'),
        app('plain', manifests(cm('p'))),
        app('on-plain', helm('on-plain', 'dependsOn: [{name: plain}]')),
        app('a', helm('a', 'dependsOn: [{name: b}]')),
        app('b', helm('b', 'dependsOn: [{name: a}]')),
      ),
    ).toEqual([
      'KureApplication platform/a: spec.helm.dependsOn[0].name: dependency cycle: a → b → a',
      'KureApplication platform/b: spec.helm.dependsOn[0].name: dependency cycle: a → b → a',
      "KureApplication platform/lost: spec.helm.dependsOn[0].name: no helm application platform/elsewhere in KureBundle platform/web (a HelmRelease depends only on those of its own bundle; between bundles use the bundle's dependsOn)",
      'KureApplication platform/on-plain: spec.helm.dependsOn[0].name: KureApplication platform/plain has no helm; a HelmRelease can depend only on another HelmRelease',
      'KureApplication platform/self: spec.helm.dependsOn[0].name: an application cannot depend on itself',
    ]);
  });
});

// ------------------------------------------------------------------------------------------------
// Tenancy: a tenant is an application attached from another namespace (spec.allowedNamespaces).
const FROM = 'an application from namespace team-a';
const tenantBundle = (spec = '') => bundle('team', `allowedNamespaces: [team-a], targetNamespace: team-a${spec ? `, ${spec}` : ''}`);
const tenant = (name: string, spec: string) => app(name, spec, 'team-a', 'team');
const SUBST = `KureBundle platform/team substitutes variables (spec.postBuild), whose values come from the platform (flux.namespace); ${FROM} may not use them, so remove \${ (Flux leaves $var without braces alone)`;

describe('tenancy: postBuild substitution cannot copy the platform values into a tenant object', () => {
  const substituting = tenantBundle('postBuild: {substituteFrom: [{kind: Secret, name: platform-secrets}]}');

  it('refuses ${...} anywhere in a tenant manifest (values and keys), and leaves only the tenant out', () => {
    const result = assembleDocs(
      ...base(),
      substituting,
      tenant('leak', manifests(cm('ok'), cm('stolen', 'password: "${DB_PASSWORD}"'))),
      tenant('keyed', manifests(cm('k', '"${KEY}": x'))),
      tenant('fine', manifests(cm('fine', 'script: "echo $HOME"'))),
    );
    expect(result.problems.map(formatProblem)).toEqual([
      `KureApplication team-a/keyed: spec.manifests[0]: ConfigMap k: data.\${KEY} contains \${...}, and ${SUBST}`,
      `KureApplication team-a/leak: spec.manifests[1]: ConfigMap stolen: data.password contains \${...}, and ${SUBST}`,
    ]);
    const c = result.clusters[0]!;
    expect(c.problems.every((p) => p.leftOut === true && p.reason === 'NotAllowed')).toBe(true);
    expect(isRenderable(c)).toBe(true);
    expect([...render(c.model).keys()].filter((k) => k.startsWith('nodes/'))).toEqual(['nodes/infra/team/fine.yaml', 'nodes/infra/team/kustomization.yaml']);
  });

  it('refuses ${...} in a tenant workload and helm values', () => {
    const sa = tenantBundle('serviceAccountName: deployer, postBuild: {substitute: {a: b}}');
    expect(
      problemsOf(
        ...base(),
        sa,
        tenant('w', 'workload: {image: nginx, env: [{name: TOKEN, value: "${TOKEN}"}]}'),
        tenant('h', helm('podinfo', 'values: {ui: {message: "${SECRET}"}}')),
      ),
    ).toEqual([
      `KureApplication team-a/h: spec.helm.values.ui.message: contains \${...}, and ${SUBST}`,
      `KureApplication team-a/w: spec.workload.env[0].value: contains \${...}, and ${SUBST}`,
    ]);
  });

  it('refuses a tenant SOPS object there (Kure cannot read its values), and accepts it without postBuild', () => {
    const SOPS = 'sops: {mac: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", version: 3.9.0}';
    const ENC = '"ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]"';
    const secret = `{apiVersion: v1, kind: Secret, metadata: {name: db}, data: {password: ${ENC}}, ${SOPS}}`;
    const decrypt = 'decryption: {provider: sops, secretRef: {name: sops-age}}';
    expect(problemsOf(...base(), tenantBundle(`${decrypt}, postBuild: {substitute: {a: b}}`), tenant('db', manifests(secret)))).toEqual([
      `KureApplication team-a/db: spec.manifests[0]: Secret db: is SOPS-encrypted, and KureBundle platform/team substitutes variables (spec.postBuild) after decryption; Kure cannot see whether its values contain \${...}, so ${FROM} may not place encrypted objects there`,
    ]);
    expect(problemsOf(...base(), tenantBundle(decrypt), tenant('db', manifests(secret)))).toEqual([]);
  });

  it('the same content is accepted from a tenant without postBuild, and from the platform with it', () => {
    const content = manifests(cm('c', 'host: "${domain}"'));
    expect(problemsOf(...base(), tenantBundle(), tenant('c', content))).toEqual([]);
    expect(problemsOf(...base(), substituting, app('c', content, 'platform', 'team'))).toEqual([]);
  });
});

describe('tenancy: helm valuesFrom reads the HelmRelease namespace', () => {
  const values = 'valuesFrom: [{kind: Secret, name: flux-system}]';

  it('is refused for a tenant when the HelmRelease would live in flux.namespace (no targetNamespace)', () => {
    const open = bundle('team', 'allowedNamespaces: [team-a], serviceAccountName: deployer');
    expect(problemsOf(...base(), open, tenant('x', helm('podinfo', `namespace: team-a, ${values}`)))).toEqual([
      `KureApplication team-a/x: spec.helm.valuesFrom: helm-controller reads valuesFrom in the HelmRelease namespace, which is flux.namespace because KureBundle platform/team has no targetNamespace; ${FROM} may use valuesFrom only in a bundle with targetNamespace (the namespace it is granted)`,
    ]);
    // the platform's own helm application may read flux.namespace
    expect(problemsOf(...base(), open, app('x', helm('podinfo', values), 'platform', 'team'))).toEqual([]);
  });

  it('is accepted with targetNamespace: the HelmRelease, and what it reads, move to the granted namespace', () => {
    const result = assembleDocs(...base(), tenantBundle('serviceAccountName: deployer'), tenant('x', helm('podinfo', values)));
    expect(result.problems).toEqual([]);
    const tree = render(result.clusters[0]!.model);
    expect(tree.get('flux/kustomizations/team.yaml')).toContain('\n  targetNamespace: team-a\n');
    expect(tree.get('nodes/infra/team/x.yaml')).toContain('\n  valuesFrom:\n    - kind: Secret\n      name: flux-system\n');
  });

  it('a tenant helm dependency problem leaves only the tenant out', () => {
    const result = assembleDocs(...base(), tenantBundle('serviceAccountName: deployer'), tenant('x', helm('podinfo', 'dependsOn: [{name: missing}]')), app('ok', manifests(cm('ok')), 'platform', 'team'));
    const c = result.clusters[0]!;
    expect(c.problems.map((p) => [p.ref.name, p.reason, p.leftOut])).toEqual([['x', 'NotFound', true]]);
    expect(isRenderable(c)).toBe(true);
    expect(c.model.nodes[0]!.bundles[0]!.applications.map((a) => a.name)).toEqual(['ok']);
  });
});

describe('tenancy: patches and force of a bundle that admits other namespaces', () => {
  const patched = (patch: string, target = '') => tenantBundle(`patches: [{patch: ${JSON.stringify(patch)}${target ? `, target: ${target}` : ''}}]`);
  const MOVE = 'the bundle admits applications from other namespaces (spec.allowedNamespaces), and a patch reaches their objects too';

  it('refuses a patch that moves or retypes objects', () => {
    expect(problemsOf(...base(), patched('- {op: replace, path: /metadata/namespace, value: kube-system}\n- {op: replace, path: /kind, value: ClusterRole}\n- {op: add, path: /metadata, value: {}}', '{kind: Role}'))).toEqual([
      `KureBundle platform/team: spec.patches[0].patch: operation 0 changes /metadata/namespace; ${MOVE}, so it may not change metadata.namespace, kind or apiVersion`,
      `KureBundle platform/team: spec.patches[0].patch: operation 1 changes /kind; ${MOVE}, so it may not change metadata.namespace, kind or apiVersion`,
      `KureBundle platform/team: spec.patches[0].patch: operation 2 changes /metadata; ${MOVE}, so it may not change metadata.namespace, kind or apiVersion`,
    ]);
    expect(problemsOf(...base(), patched('- {op: remove, path: /metadata/namespace}\n- {op: move, from: /metadata/namespace, path: /metadata/labels/ns}\n- {op: copy, from: /metadata/namespace, path: /metadata/labels/ns}', '{kind: ConfigMap}'))).toEqual([
      `KureBundle platform/team: spec.patches[0].patch: operation 0 changes /metadata/namespace; ${MOVE}, so it may not change metadata.namespace, kind or apiVersion`,
      `KureBundle platform/team: spec.patches[0].patch: operation 1 changes /metadata/namespace; ${MOVE}, so it may not change metadata.namespace, kind or apiVersion`,
    ]);
    expect(problemsOf(...base(), patched('{metadata: {namespace: kube-system}}', '{kind: ConfigMap}'))).toEqual([
      `KureBundle platform/team: spec.patches[0].patch: sets metadata.namespace; ${MOVE}, so it may not move objects to another namespace`,
    ]);
  });

  it('accepts patches that change other fields, and moving patches on a bundle without tenants', () => {
    expect(problemsOf(...base(), patched('[{"op": "add", "path": "/metadata/labels/tier", "value": "web"}]', '{kind: ConfigMap}'), tenant('c', manifests(cm('c'))))).toEqual([]);
    // a strategic merge patch without target names its object by apiVersion, kind, name and namespace: that selects, it does not move
    expect(problemsOf(...base(), patched('{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: team-a}, data: {b: "2"}}'))).toEqual([]);
    expect(problemsOf(...base(), bundle('web', 'patches: [{patch: "- {op: replace, path: /metadata/namespace, value: ops}", target: {kind: ConfigMap}}]'))).toEqual([]);
    // allowedNamespaces listing only the bundle's own namespace admits no tenant
    expect(problemsOf(...base(), bundle('web', 'allowedNamespaces: [platform], patches: [{patch: "- {op: replace, path: /metadata/namespace, value: ops}", target: {kind: ConfigMap}}]'))).toEqual([]);
  });

  it('force widens nothing: the tenant is still held to the granted namespace', () => {
    const forced = tenantBundle('force: true');
    expect(problemsOf(...base(), forced, tenant('x', manifests('{apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: kube-system}}')))).toEqual([
      `KureApplication team-a/x: spec.manifests[0]: ConfigMap x: metadata.namespace kube-system is not team-a, the namespace KureBundle platform/team grants ${FROM}`,
    ]);
    expect(problemsOf(...base(), forced, tenant('x', manifests(cm('x'))))).toEqual([]);
  });
});
