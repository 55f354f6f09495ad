// Kure's own CRDs (crds/*.yaml, generated from src/api/schema.ts) in a real API server: they install,
// join the `kure` category, accept valid objects and reject invalid ones through their OpenAPI schema
// and CEL rules, with the messages users will see from `kubectl apply`.
import path from 'node:path';
import { REPO_ROOT } from '../support/control-plane.js';
import {
  applyCrdsFromDir,
  createTestNamespace,
  kubeRequest,
  resourcesInCategory,
  serverSideApply,
  serverSideDryRun,
  type KubeObject,
} from '../support/kube.js';

// KURE_TEST_CRDS_DIR: try a candidate set of CRDs without touching crds/.
const CRDS = process.env.KURE_TEST_CRDS_DIR ?? path.join(REPO_ROOT, 'crds');
const API_VERSION = 'kure.dev/v1alpha1';

let ns: string;
beforeAll(async () => {
  await applyCrdsFromDir(CRDS);
  ns = await createTestNamespace();
});

type Spec = Record<string, unknown>;
// The tables below are built when the file loads, before beforeAll creates the namespace: it is set at use.
const resource = (kind: string, name: string, spec: Spec): KubeObject => ({ apiVersion: API_VERSION, kind, metadata: { name }, spec });
const inNamespace = (obj: KubeObject): KubeObject => ({ ...obj, metadata: { ...obj.metadata, namespace: ns } });

const clusterSpec = (): Spec => ({
  gitops: { engine: 'flux', flux: { namespace: 'flux-system', sourceRef: { kind: 'GitRepository', name: 'flux-system' } } },
  repository: { url: 'https://git.example.com/platform/gitops.git', branch: 'main', path: 'clusters/prod', secretRef: { name: 'git-auth' } },
  deletionPolicy: 'Retain',
});
const nodeSpec = (): Spec => ({ clusterRef: { name: 'prod' } });
const bundleSpec = (): Spec => ({ nodeRef: { name: 'apps' }, interval: '10m', timeout: '2m30s', prune: true, path: 'apps/web' });
const workloadAppSpec = (): Spec => ({
  bundleRef: { name: 'web' },
  workload: { image: 'nginx:1.27', replicas: 2, ports: [{ name: 'http', containerPort: 80 }], service: { port: 80 } },
});

/** Deep-merges `patch` into `base` (null deletes a key): small edits to a valid spec. */
function edit(base: Spec, patch: Spec): Spec {
  const out: Spec = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k]))
      out[k] = edit(out[k] as Spec, v as Spec);
    else out[k] = v;
  }
  return out;
}

describe('Kure CRDs', () => {
  it('install and become Established', async () => {
    const crds = await applyCrdsFromDir(CRDS);
    expect(crds.map((c) => c.metadata?.name).sort()).toEqual([
      'kureapplications.kure.dev',
      'kurebundles.kure.dev',
      'kureclusters.kure.dev',
      'kurenodes.kure.dev',
    ]);
  });

  const valid: [string, KubeObject][] = [
    ['a Flux KureCluster', resource('KureCluster', 'prod', clusterSpec())],
    [
      'an Argo CD KureCluster',
      resource('KureCluster', 'staging', {
        gitops: { engine: 'argocd', argocd: { namespace: 'argocd', project: 'platform', destination: { server: 'https://kubernetes.default.svc' } } },
        repository: { url: 'http://git.local/gitops.git' },
      }),
    ],
    ['a KureNode under a cluster', resource('KureNode', 'apps', nodeSpec())],
    [
      'a KureNode with its own sources',
      resource('KureNode', 'team-a', {
        parentRef: { name: 'apps' },
        source: { kind: 'OCIRepository', url: 'oci://ghcr.io/acme/manifests', ref: { semver: '>=1.0.0' }, interval: '5m' },
      }),
    ],
    ['a KureBundle', resource('KureBundle', 'web', edit(bundleSpec(), { dependsOn: [{ name: 'infra' }], targetNamespace: 'web' }))],
    [
      'a tenant KureBundle with its doors (issue 8)',
      resource('KureBundle', 'team', edit(bundleSpec(), {
        targetNamespace: 'team-a',
        allowedNamespaces: ['team-a'],
        serviceAccountName: 'team-a-deployer',
        decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
        tenancy: { allowedKinds: [{ group: 'cert-manager.io', kind: 'Certificate' }], allowedClusterScopedKinds: [{ group: '', kind: 'Namespace' }] },
      })),
    ],
    [
      'a KureBundle with the delivery fields (issue 10)',
      resource('KureBundle', 'delivered', edit(bundleSpec(), {
        targetNamespace: 'web',
        force: true,
        components: ['../../components/ha'],
        patches: [{ patch: '- op: add\n  path: /metadata/labels/tier\n  value: web\n', target: { kind: 'Deployment', labelSelector: 'app=web' } }],
        postBuild: { substitute: { domain: 'example.com' }, substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }, { kind: 'Secret', name: 'cluster-secrets', optional: true }] },
        healthChecks: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'web' }],
        healthCheckExprs: [{ apiVersion: 'example.com/v1', kind: 'Widget', current: 'status.ready == true', failed: 'has(status.error)' }],
        argocd: {
          syncOptions: ['ServerSideApply=true'],
          ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
        },
      })),
    ],
    [
      'a Helm KureApplication with valuesFrom, remediation and dependsOn (issue 10)',
      resource('KureApplication', 'widgets', {
        bundleRef: { name: 'web' },
        helm: {
          chart: 'widgets',
          repository: { url: 'https://charts.example.com' },
          valuesFrom: [{ kind: 'Secret', name: 'db', valuesKey: 'password', targetPath: 'db.password', optional: true }],
          install: { remediation: { retries: 3, remediateLastFailure: true } },
          upgrade: { remediation: { retries: -1, strategy: 'rollback' } },
          dependsOn: [{ name: 'operator' }],
        },
      }),
    ],
    ['a workload KureApplication', resource('KureApplication', 'web', workloadAppSpec())],
    [
      'a workload with env from a Secret',
      resource('KureApplication', 'env', edit(workloadAppSpec(), { workload: { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] } })),
    ],
    [
      'a Helm KureApplication',
      resource('KureApplication', 'podinfo', {
        bundleRef: { name: 'web' },
        helm: { chart: 'podinfo', version: '6.7.0', repository: { url: 'oci://ghcr.io/stefanprodan/charts' }, values: { replicaCount: 2, ui: { color: '#fff' } } },
      }),
    ],
    [
      'a manifests KureApplication',
      resource('KureApplication', 'config', {
        bundleRef: { name: 'web' },
        manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } }],
      }),
    ],
  ];

  it.each(valid)('accepts %s', async (_name, obj) => {
    const stored = await serverSideApply(inNamespace(obj));
    expect(stored.metadata?.uid).toBeDefined();
    expect(stored.spec).toEqual(obj.spec); // nothing pruned: every field is in the schema
  });

  it('lists every Kure kind in the `kure` category (kubectl get kure)', async () => {
    const kinds = await resourcesInCategory('kure');
    expect(kinds.map((k) => k.kind).sort()).toEqual(['KureApplication', 'KureBundle', 'KureCluster', 'KureNode']);
    let total = 0;
    for (const k of kinds) {
      const { body } = await kubeRequest<{ items: unknown[] }>('GET', `/apis/${k.groupVersion}/namespaces/${ns}/${k.resource}`);
      total += body.items.length;
    }
    expect(total).toBe(valid.length);
  });

  const invalid: [string, KubeObject, RegExp][] = [
    [
      'a ref that is not a DNS label',
      resource('KureBundle', 'b1', edit(bundleSpec(), { nodeRef: { name: 'Apps_Node' } })),
      /spec\.nodeRef\.name in body should match/,
    ],
    [
      'both clusterRef and parentRef',
      resource('KureNode', 'n1', { clusterRef: { name: 'prod' }, parentRef: { name: 'apps' } }),
      /set exactly one of clusterRef and parentRef/,
    ],
    ['neither clusterRef nor parentRef', resource('KureNode', 'n2', {}), /set exactly one of clusterRef and parentRef/],
    [
      'a substituteFrom of another kind (issue 10)',
      resource('KureBundle', 'b3', edit(bundleSpec(), { postBuild: { substituteFrom: [{ kind: 'Namespace', name: 'x' }] } })),
      /spec\.postBuild\.substituteFrom\[0\]\.kind: Unsupported value: "Namespace"/,
    ],
    [
      'a sync option that is not Name=value (issue 10)',
      resource('KureBundle', 'b4', edit(bundleSpec(), { argocd: { syncOptions: ['ServerSideApply'] } })),
      /spec\.argocd\.syncOptions\[0\] in body should match/,
    ],
    [
      'no manifests, helm or workload',
      resource('KureApplication', 'a1', { bundleRef: { name: 'web' } }),
      /set exactly one of manifests, helm and workload/,
    ],
    [
      'both workload and manifests',
      resource('KureApplication', 'a2', edit(workloadAppSpec(), { manifests: [{ kind: 'ConfigMap' }] })),
      /set exactly one of manifests, helm and workload/,
    ],
    ['a bad duration', resource('KureBundle', 'b2', edit(bundleSpec(), { interval: '10 minutes' })), /spec\.interval in body should match/],
    [
      'a repository path with ..',
      resource('KureCluster', 'c1', edit(clusterSpec(), { repository: { path: 'clusters/../../etc' } })),
      /spec\.repository\.path: Invalid value: "clusters\/\.\.\/\.\.\/etc"/,
    ],
    [
      'an absolute repository path',
      resource('KureCluster', 'c2', edit(clusterSpec(), { repository: { path: '/clusters/prod' } })),
      /spec\.repository\.path: Invalid value: "\/clusters\/prod"/,
    ],
    [
      'an unknown engine',
      resource('KureCluster', 'c3', edit(clusterSpec(), { gitops: { engine: 'jenkins' } })),
      /spec\.gitops\.engine: Unsupported value: "jenkins"/,
    ],
    [
      'a non-http repository url',
      resource('KureCluster', 'c4', edit(clusterSpec(), { repository: { url: 'git@github.com:acme/gitops.git' } })),
      /spec\.repository\.url in body should match/,
    ],
    [
      'an OCIRepository source with an https url',
      resource('KureNode', 'n3', edit(nodeSpec(), { source: { kind: 'OCIRepository', url: 'https://ghcr.io/acme/manifests' } })),
      /an OCIRepository url must start with oci:\/\//,
    ],
    [
      'a GitRepository source with an s3 url',
      resource('KureNode', 'n4', edit(nodeSpec(), { source: { kind: 'GitRepository', url: 's3://bucket/path' } })),
      /a GitRepository url must be http\(s\):\/\/ or ssh:\/\//,
    ],
    [
      'a source ref with branch and tag',
      resource('KureNode', 'n5', edit(nodeSpec(), { source: { kind: 'GitRepository', url: 'https://git.example.com/x.git', ref: { branch: 'main', tag: 'v1' } } })),
      /set at most one of branch, tag, semver, commit/,
    ],
    [
      'a Bucket source with a ref',
      resource('KureNode', 'n6', edit(nodeSpec(), { source: { kind: 'Bucket', url: 's3://bucket', ref: { tag: 'v1' } } })),
      /a Bucket source takes no ref/,
    ],
    [
      'an Argo CD destination with server and name',
      resource('KureCluster', 'c5', {
        gitops: { engine: 'argocd', argocd: { destination: { server: 'https://kubernetes.default.svc', name: 'in-cluster' } } },
        repository: { url: 'https://git.example.com/gitops.git' },
      }),
      /set at most one of server and name/,
    ],
    [
      'a Helm repository over plain http',
      resource('KureApplication', 'a3', { bundleRef: { name: 'web' }, helm: { chart: 'podinfo', repository: { url: 'http://charts.example.com' } } }),
      /spec\.helm\.repository\.url in body should match/,
    ],
    [
      'a container port out of range',
      resource('KureApplication', 'a4', edit(workloadAppSpec(), { workload: { ports: [{ containerPort: 70000 }] } })),
      /spec\.workload\.ports\[0\]\.containerPort: Invalid value: 70000: spec\.workload\.ports\[0\]\.containerPort in body should be less than or equal to 65535/,
    ],
    [
      'tenancy without allowedNamespaces',
      resource('KureBundle', 'b5', edit(bundleSpec(), { tenancy: { allowedKinds: [{ group: 'cert-manager.io', kind: 'Certificate' }] } })),
      /tenancy applies to applications from other namespaces: set allowedNamespaces/,
    ],
    ['a decryption provider other than sops', resource('KureBundle', 'b6', edit(bundleSpec(), { decryption: { provider: 'vault', secretRef: { name: 'k' } } })), /spec\.decryption\.provider: Unsupported value: "vault"/],
    [
      'an env var with value and valueFrom',
      resource('KureApplication', 'a5', edit(workloadAppSpec(), { workload: { env: [{ name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 'db', key: 'a' } } }] } })),
      /set at most one of value and valueFrom/,
    ],
    ['a bundle without nodeRef', resource('KureBundle', 'b3', edit(bundleSpec(), { nodeRef: null })), /spec\.nodeRef: Required value/],
    ['an unknown field', resource('KureBundle', 'b4', edit(bundleSpec(), { prunes: true })), /\.spec\.prunes: field not declared in schema/],
  ];

  it.each(invalid)('rejects %s', async (_name, obj, message) => {
    await expect(serverSideDryRun(inNamespace(obj))).rejects.toThrow(message);
  });
});
