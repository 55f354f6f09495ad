// The Helm chart (deploy/kure): helm lint, helm template with the options users set, every rendered
// object accepted by the real API server (server-side apply, dryRun=All, fieldValidation=Strict), the
// values schema, the PodDisruptionBudget, the NetworkPolicy, the helm test hook and the templated CRDs.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

import { CONTAINERS_REQUIRED } from '../support/container-engine.js';
import { REPO_ROOT } from '../support/control-plane.js';
import { CHART_DIR, findHelm, helm, helmTemplate, isHook } from '../support/helm.js';
import { createTestNamespace, serverSideDryRun, type KubeObject } from '../support/kube.js';

const helmBin = findHelm();
const byKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: KubeObject[], kind: string) => {
  const found = byKind(objs, kind);
  expect(found).toHaveLength(1);
  return found[0] as KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

// Everything a user may switch on at once (ServiceMonitor aside: its CRD is not in the test cluster).
const EVERYTHING = {
  replicaCount: 3,
  crds: { templated: true },
  networkPolicy: {
    enabled: true,
    metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    egress: { apiServer: { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] }, git: { to: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [443, 8443] } },
  },
  controller: { namespaces: ['platform', 'team-a'], credentialsNamespaces: ['platform'], extraArgs: ['--log-level=debug'], extraEnv: [{ name: 'EXTRA', value: '1' }] },
  serviceAccount: { annotations: { 'example.com/role': 'kure' } },
  podAnnotations: { 'example.com/scrape': 'true' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
  priorityClassName: 'system-cluster-critical',
};

if (!helmBin && !CONTAINERS_REQUIRED) {
  process.stderr.write('\nchart tests skipped: no helm (build it with scripts/build-helm.sh, or put helm on PATH)\n');
}
const maybe = helmBin || CONTAINERS_REQUIRED ? describe : describe.skip;

maybe('deploy/kure (helm)', () => {
  beforeAll(() => {
    if (!helmBin) throw new Error('helm not found: CI must build it (scripts/build-helm.sh)');
  });

  it('passes helm lint --strict, with the defaults and with every option on', async () => {
    for (const extra of [[], ['--set', 'replicaCount=3,crds.templated=true,networkPolicy.enabled=true,serviceMonitor.enabled=true']]) {
      const r = await helm(['lint', '--strict', CHART_DIR, ...extra]);
      expect({ code: r.code, out: r.stdout + r.stderr }).toMatchObject({ code: 0 });
      expect(r.stdout).toContain('0 chart(s) failed');
    }
  });

  it.each([
    ['the defaults', {}],
    ['one replica, no leader election, no RBAC objects', { replicaCount: 1, controller: { leaderElect: false }, rbac: { create: false }, serviceAccount: { create: false, name: 'existing' } }],
    ['every option on', EVERYTHING],
  ])('renders %s into objects the API server accepts (dry run, strict)', async (_name, values) => {
    const ns = await createTestNamespace('kt');
    // Watched namespaces get Roles: they must exist for the dry run, so use fresh ones.
    const controller = (values as { controller?: { namespaces?: string[]; credentialsNamespaces?: string[] } }).controller;
    const watched = await Promise.all((controller?.namespaces ?? []).map(() => createTestNamespace('kw')));
    const renamed = (list: string[] = []) => list.map((n) => watched[controller!.namespaces!.indexOf(n)]!);
    const objs = await helmTemplate({
      namespace: ns,
      values: watched.length ? { ...values, controller: { ...controller, namespaces: watched, credentialsNamespaces: renamed(controller?.credentialsNamespaces) } } : values,
      includeCrds: true,
    });
    if (watched.length) expect(objs.filter((o) => o.kind === 'Role').map((o) => o.metadata?.namespace)).toEqual(expect.arrayContaining(watched));
    expect(objs.length).toBeGreaterThan(3);
    for (const o of objs) {
      try {
        await serverSideDryRun(o);
      } catch (err) {
        throw new Error(`${o.kind} ${o.metadata?.name}: ${(err as Error).message}`, { cause: err });
      }
    }
  });

  it('rejects values the schema does not allow, naming the field', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ replicas: 2 }, /additional properties 'replicas' not allowed/],
      [{ replicaCount: 'two' }, /replicaCount/],
      [{ controller: { settle: '5 seconds' } }, /controller\/settle/],
      [{ controller: { logLevel: 'verbose' } }, /controller\/logLevel/],
      [{ image: { pullPolicy: 'Sometimes' } }, /image\/pullPolicy/],
      [{ networkPolicy: { egress: { git: { ports: [0] } } } }, /networkPolicy\/egress\/git\/ports/],
    ];
    for (const [values, message] of bad) await expect(helmTemplate({ values })).rejects.toThrow(message);
  });

  it('has a PodDisruptionBudget only when replicaCount > 1', async () => {
    expect(byKind(await helmTemplate({ values: { replicaCount: 1 } }), 'PodDisruptionBudget')).toHaveLength(0);
    const pdb = one(await helmTemplate({ values: { replicaCount: 2 } }), 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'kure', 'app.kubernetes.io/instance': 'kure' } } });
    expect(byKind(await helmTemplate({ values: { replicaCount: 3, podDisruptionBudget: { enabled: false } } }), 'PodDisruptionBudget')).toHaveLength(0);
  });

  it('has a NetworkPolicy only when enabled: metrics in, DNS, API server and Git out', async () => {
    expect(byKind(await helmTemplate(), 'NetworkPolicy')).toHaveLength(0);
    const np = one(await helmTemplate({ values: EVERYTHING }), 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([{ ports: [{ port: 'metrics', protocol: 'TCP' }], from: EVERYTHING.networkPolicy.metricsFrom }]);
    expect(np.spec.egress).toEqual([
      { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
      { ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] },
      { ports: [{ port: 443, protocol: 'TCP' }, { port: 8443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '192.0.2.0/24' } }] },
    ]);
  });

  it('has a helm test hook that GETs /readyz on the metrics Service with the controller image', async () => {
    const objs = await helmTemplate({ namespace: 'kure-system', values: { image: { repository: 'registry.example.com/kure', tag: '1.2.3' } } });
    const hooks = objs.filter(isHook);
    expect(hooks.map((h) => h.kind)).toEqual(['Pod']);
    const pod = hooks[0] as KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(pod.metadata?.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
    const c = pod.spec.containers[0];
    expect(c.image).toBe('registry.example.com/kure:1.2.3');
    expect(c.command).toEqual(['node', '-e']);
    expect(c.args[1]).toBe('http://kure-metrics.kure-system.svc:8080/readyz');
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(byKind(await helmTemplate({ values: { tests: { enabled: false } } }), 'Pod')).toHaveLength(0);
  });

  it('renders the CRDs of crds/ as templates only with crds.templated, kept on uninstall', async () => {
    const files = readdirSync(path.join(CHART_DIR, 'crds')).filter((f) => f.endsWith('.yaml')).sort();
    const fromFiles = files.map((f) => parse(readFileSync(path.join(CHART_DIR, 'crds', f), 'utf8')) as KubeObject & { spec: unknown });
    expect(byKind(await helmTemplate(), 'CustomResourceDefinition')).toHaveLength(0);
    const templated = byKind(await helmTemplate({ values: { crds: { templated: true } } }), 'CustomResourceDefinition') as (KubeObject & { spec: unknown })[];
    expect(templated.map((c) => c.metadata?.name).sort()).toEqual(fromFiles.map((c) => c.metadata?.name).sort());
    for (const crd of templated) {
      const file = fromFiles.find((f) => f.metadata?.name === crd.metadata?.name)!;
      expect(crd.spec).toEqual(file.spec);
      expect(crd.metadata?.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      expect(crd.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'kure' });
    }
    const notKept = byKind(await helmTemplate({ values: { crds: { templated: true, keep: false } } }), 'CustomResourceDefinition');
    for (const crd of notKept) expect(crd.metadata?.annotations ?? {}).not.toHaveProperty('helm.sh/resource-policy');
    // The chart's crds/ are the generated ones (test/unit/controller/chart.test.ts checks byte equality).
    expect(files).toEqual(readdirSync(path.join(REPO_ROOT, 'crds')).filter((f) => f.endsWith('.yaml')).sort());
  });

  it('grants the controller a ClusterRole without controller.namespaces, and only Roles in the listed namespaces with them', async () => {
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    const rbacOf = (objs: KubeObject[]) =>
      objs
        .filter((o) => /^(Cluster)?Role(Binding)?$/.test(o.kind ?? ''))
        .map((o) => `${o.kind} ${o.metadata?.namespace ?? '-'}/${o.metadata?.name}`)
        .sort();
    const objectRules: Rule[] = [
      { apiGroups: ['kure.dev'], resources: ['kureclusters', 'kurenodes', 'kurebundles', 'kureapplications'], verbs: ['list', 'watch'] },
      { apiGroups: ['kure.dev'], resources: ['kureclusters', 'kurenodes', 'kurebundles'], verbs: ['patch'] },
      { apiGroups: ['kure.dev'], resources: ['kureclusters/status', 'kurenodes/status', 'kurebundles/status', 'kureapplications/status'], verbs: ['patch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      // controller.notifyEngine (default on)
      { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories'], verbs: ['patch'] },
      { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['patch'] },
    ];
    const secretRules: Rule[] = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }];
    const expectedRules = [...objectRules, ...secretRules];
    // controller.watchEngine (default on): a cluster-wide watch, so only in the ClusterRole.
    const engineWatchRules: Rule[] = [
      { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['list', 'watch'] },
      { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['list', 'watch'] },
    ];
    const sa = { kind: 'ServiceAccount', name: 'kure', namespace: 'kure-system' };

    // All namespaces: one ClusterRole, bound cluster-wide; the Lease's Role in the release namespace.
    const all = await helmTemplate({ namespace: 'kure-system' });
    expect(rbacOf(all)).toEqual([
      'ClusterRole -/kure',
      'ClusterRoleBinding -/kure',
      'Role kure-system/kure-leader-election',
      'RoleBinding kure-system/kure-leader-election',
    ]);
    expect(one(all, 'ClusterRole').rules).toEqual([...objectRules, ...engineWatchRules, ...secretRules]);
    expect(one(all, 'ClusterRoleBinding')).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'kure' }, subjects: [sa] });

    // Watched namespaces: a Role and a RoleBinding in each, the same rules, nothing cluster-scoped.
    const some = await helmTemplate({ namespace: 'kure-system', values: { controller: { namespaces: ['platform', 'team-a'] } } });
    expect(rbacOf(some)).toEqual([
      'Role kure-system/kure-leader-election',
      'Role platform/kure',
      'Role team-a/kure',
      'RoleBinding kure-system/kure-leader-election',
      'RoleBinding platform/kure',
      'RoleBinding team-a/kure',
    ]);
    for (const ns of ['platform', 'team-a']) {
      const role = some.find((o) => o.kind === 'Role' && o.metadata?.namespace === ns) as KubeObject & { rules: Rule[] };
      expect(role.rules).toEqual(expectedRules);
      const binding = some.find((o) => o.kind === 'RoleBinding' && o.metadata?.namespace === ns);
      expect(binding).toMatchObject({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kure' }, subjects: [sa] });
    }
    expect(some.filter((o) => !o.metadata?.namespace && o.kind !== 'CustomResourceDefinition').map((o) => o.kind)).toEqual([]);
    expect(one(some, 'Deployment').spec.template.spec.containers[0].args).toContain('--namespaces=platform,team-a');

    // The release namespace watched too: its two Roles side by side. No leader election: no Lease Role.
    const own = await helmTemplate({ namespace: 'kure-system', values: { controller: { namespaces: ['kure-system'], leaderElect: false } } });
    expect(rbacOf(own)).toEqual(['Role kure-system/kure', 'RoleBinding kure-system/kure']);
    expect(rbacOf(await helmTemplate({ values: { rbac: { create: false }, controller: { namespaces: ['a'] } } }))).toEqual([]);
    await expect(helmTemplate({ values: { controller: { namespaces: ['a', 'a'] } } })).rejects.toThrow(/controller\/namespaces/);
  });

  it('grants the Secret rules only in controller.credentialsNamespaces, in either mode', async () => {
    const rulesOf = (objs: KubeObject[], kind: string, ns?: string) =>
      (objs.find((o) => o.kind === kind && o.metadata?.namespace === ns && !o.metadata?.name?.endsWith('-leader-election')) as (KubeObject & { rules: { resources: string[] }[] }) | undefined)?.rules.flatMap((r) => r.resources);
    const objectResources = ['kureclusters', 'kurenodes', 'kurebundles', 'kureapplications', 'kureclusters', 'kurenodes', 'kurebundles', 'kureclusters/status', 'kurenodes/status', 'kurebundles/status', 'kureapplications/status', 'events', 'gitrepositories', 'applications'];

    // All namespaces watched: a ClusterRole without Secrets, and a Role for Secrets in each credentials namespace.
    const all = await helmTemplate({ namespace: 'kure-system', values: { controller: { credentialsNamespaces: ['platform', 'platform-staging'] } } });
    expect(rulesOf(all, 'ClusterRole')).toEqual([...objectResources, 'kustomizations', 'applications']);
    for (const ns of ['platform', 'platform-staging']) {
      const role = all.find((o) => o.kind === 'Role' && o.metadata?.namespace === ns);
      expect(role?.metadata?.name).toBe('kure-credentials');
      expect(rulesOf(all, 'Role', ns)).toEqual(['secrets']);
      expect(all.find((o) => o.kind === 'RoleBinding' && o.metadata?.namespace === ns)).toMatchObject({ roleRef: { kind: 'Role', name: 'kure-credentials' }, subjects: [{ kind: 'ServiceAccount', name: 'kure', namespace: 'kure-system' }] });
    }
    expect(one(all, 'Deployment').spec.template.spec.containers[0].args).toContain('--credentials-namespaces=platform,platform-staging');

    // Watched namespaces: Secrets only in the Roles of the credentials namespaces.
    const some = await helmTemplate({ namespace: 'kure-system', values: { controller: { namespaces: ['platform', 'team-a'], credentialsNamespaces: ['platform'] } } });
    expect(rulesOf(some, 'Role', 'platform')).toEqual([...objectResources, 'secrets']);
    expect(rulesOf(some, 'Role', 'team-a')).toEqual(objectResources);
    expect(byKind(some, 'ClusterRole')).toHaveLength(0);
    await expect(helmTemplate({ values: { controller: { namespaces: ['platform'], credentialsNamespaces: ['ops'] } } })).rejects.toThrow(
      /controller.credentialsNamespaces: ops is not in controller.namespaces/,
    );
    expect(one(await helmTemplate(), 'Deployment').spec.template.spec.containers[0].args.join(' ')).not.toContain('--credentials-namespaces');
  });

  it('runs `kure controller` with the values as flags, the Git cache and /tmp on emptyDirs, non-root and read-only', async () => {
    const d = one(await helmTemplate({ values: { controller: { namespaces: ['a', 'b'], settle: '1s', metricsPort: 9090 } } }), 'Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.args).toEqual(expect.arrayContaining(['controller', '--metrics-addr=:9090', '--settle=1s', '--namespaces=a,b', '--git-cache-dir=/var/cache/kure']));
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
    expect(c.volumeMounts).toEqual([
      { name: 'git-cache', mountPath: '/var/cache/kure' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(pod.volumes.map((v: { emptyDir?: unknown }) => Object.keys(v).includes('emptyDir'))).toEqual([true, true]);
  });

  it('installs a shard: --shard-selector and --log-format from the values, no selector by default', async () => {
    const args = async (values: Record<string, unknown>) => one(await helmTemplate({ values: { controller: values } }), 'Deployment').spec.template.spec.containers[0].args as string[];
    expect(await args({ shardSelector: 'kure.dev/shard in (a,b)', logFormat: 'text' })).toEqual(expect.arrayContaining(['--shard-selector=kure.dev/shard in (a,b)', '--log-format=text']));
    const plain = await args({});
    expect(plain).toContain('--log-format=json');
    expect(plain.join(' ')).not.toContain('--shard-selector');
  });

  it('grants patch on the engines\' GitRepository / Application only with controller.notifyEngine (default on)', async () => {
    const notifyRules = (objs: KubeObject[]) =>
      (one(objs, 'ClusterRole').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).filter((r) =>
        r.apiGroups.some((g) => g === 'source.toolkit.fluxcd.io' || g === 'argoproj.io') && r.verbs.includes('patch'),
      );
    const on = await helmTemplate({ values: {} });
    expect(notifyRules(on)).toEqual([
      { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories'], verbs: ['patch'] },
      { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['patch'] },
    ]);
    expect(one(on, 'Deployment').spec.template.spec.containers[0].args).toContain('--notify-engine=true');
    const off = await helmTemplate({ values: { controller: { notifyEngine: false } } });
    expect(notifyRules(off)).toEqual([]);
    expect(one(off, 'Deployment').spec.template.spec.containers[0].args).toContain('--notify-engine=false');
  });

  it('grants list and watch on Kustomizations / Applications only with controller.watchEngine (default on)', async () => {
    const watchRules = (objs: KubeObject[]) =>
      (one(objs, 'ClusterRole').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).filter((r) => r.verbs.includes('watch') && !r.apiGroups.includes('kure.dev') && !r.apiGroups.includes(''));
    const on = await helmTemplate({ values: {} });
    expect(watchRules(on)).toEqual([
      { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['list', 'watch'] },
      { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['list', 'watch'] },
    ]);
    expect(one(on, 'Deployment').spec.template.spec.containers[0].args).toContain('--watch-engine=true');
    const off = await helmTemplate({ values: { controller: { watchEngine: false } } });
    expect(watchRules(off)).toEqual([]);
    expect(one(off, 'Deployment').spec.template.spec.containers[0].args).toContain('--watch-engine=false');
  });
});
