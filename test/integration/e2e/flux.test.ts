// End to end with real Flux: Kure's controller commits the examples' production cluster to a real
// Git server, the real source-controller and kustomize-controller (scripts/build-flux.sh) fetch it
// and apply it to a real API server (a control plane of this file's own), and the test checks what
// landed there: every object of every bundle with the namespace and labels its bundle says,
// dependsOn order, pruning of a removed application, a suspended bundle left alone, and the latency
// from a push to the objects changed (Kure's controller sets reconcile.fluxcd.io/requestedAt on the
// GitRepository after each push, as Flux's webhook receiver would; the test never pokes Flux itself).
//
// What differs from examples/platform (nothing here reaches the internet):
// - the fleet repository is the local Git server; the bootstrap GitRepository reads it with the
//   Secret flux-system/flux-system (`flux create secret git` in real life);
// - cert-manager's chart repository (charts.jetstack.io) is a local HTTPS Helm repository serving index.yaml
//   (self-signed, trusted by source-controller through SSL_CERT_FILE),
//   so source-controller makes the HelmRepository Ready for real; helm-controller is not served by
//   the Go module proxy, so the test stands in for it: it marks each HelmRelease Ready and installs
//   the ClusterIssuer CRD that the cert-manager chart would (cluster-issuers needs it);
// - kube-prometheus-stack's OCI chart (ghcr.io) points at a closed local port: its OCIRepository and
//   HelmRelease are applied and checked, the fetch fails (the bundle does not wait);
// - the security node's OCIRepository (ghcr.io/acme/platform-policies) is replaced by a GitRepository
//   on the local Git server holding deploy/production (no OCI registry here);
// - one bundle is added with `suspend: true`;
// - a bundle `delivered` (issue 10: patches, postBuild, healthChecks, force on and off with a Job's
//   immutable template, HelmRelease dependsOn, valuesFrom and remediation) is added by its own test,
//   with a ConfigMap flux-system/cluster-vars.
import type { KubeConfig } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KureResource } from '../../../src/api/schema.js';
import type { Manager } from '../../../src/controller/manager.js';
import type { ControlPlane } from '../../support/control-plane.js';
import { REPO_ROOT } from '../../support/control-plane.js';
import {
  FLUX_CACHE_DIR,
  fluxReady,
  getFlux,
  REQUESTED_AT,
  listFlux,
  startFlux,
  startHelmRepository,
  type Flux,
  type FluxObject,
  type HelmRepositoryServer,
} from '../../support/flux.js';
import { seedCommit, type GitServer } from '../../support/git-server.js';
import { applyCrdsFromDir, kubeConfigFromFile, kubeRequest, serverSideApply, type KubeObject } from '../../support/kube.js';
import { examples, startGit, startTestManager } from '../controller/harness.js';
import {
  applyOn,
  createNamespaces,
  createSecret,
  deleteKureOn,
  directoryObjects,
  getKureOn,
  getObject,
  GIT_PASSWORD,
  headOf,
  GIT_USER,
  isNamespaced,
  kure,
  parseObjects,
  percentile,
  showFile,
  sleep,
  startOwnControlPlane,
  waitForPush,
  waitUntil,
} from './common.js';

const FLUX_NS = 'flux-system';
const REPO = 'fleet';
const POLICIES_REPO = 'policies';
const NS = { platform: 'platform', staging: 'platform-staging', teamA: 'team-a' };
const KUSTOMIZE_LABELS = { name: 'kustomize.toolkit.fluxcd.io/name', namespace: 'kustomize.toolkit.fluxcd.io/namespace' };

let cp: ControlPlane | undefined;
let kc: KubeConfig;
let git: GitServer | undefined;
let flux: Flux | undefined;
let helmRepo: HelmRepositoryServer | undefined;
let manager: Manager | undefined;
let helmStandIn: { stop(): Promise<void> } | undefined;
let resources: KureResource[];
let firstSha: string;

/** The examples' production cluster (plus team A), changed as the header says. */
function productionResources(gitUrl: (repo: string) => string, helmUrl: string): KureResource[] {
  const all = examples(NS, gitUrl(REPO)).filter((r) => r.metadata.namespace !== NS.staging);
  for (const r of all) {
    const spec = r.spec as { helm?: { repository: { url: string } }; source?: unknown };
    if (r.kind === 'KureApplication' && spec.helm?.repository.url === 'https://charts.jetstack.io') spec.helm.repository.url = helmUrl;
    if (r.kind === 'KureApplication' && spec.helm?.repository.url.startsWith('oci://ghcr.io/')) spec.helm.repository.url = 'oci://127.0.0.1:9/charts';
    if (r.kind === 'KureNode' && r.metadata.name === 'security')
      spec.source = { kind: 'GitRepository', url: gitUrl(POLICIES_REPO), ref: { branch: 'main' }, interval: '10m', secretRef: { name: 'policies-git' } };
  }
  all.push(
    kure('KureBundle', NS.platform, 'paused', { nodeRef: { name: 'apps' }, suspend: true, targetNamespace: 'web' }),
    kure('KureApplication', NS.platform, 'paused-settings', {
      bundleRef: { name: 'paused' },
      manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'paused-settings' }, data: { applied: 'never' } }],
    }),
  );
  return all;
}

const CLUSTER_ISSUER_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'clusterissuers.cert-manager.io' },
  spec: {
    group: 'cert-manager.io',
    names: { kind: 'ClusterIssuer', listKind: 'ClusterIssuerList', plural: 'clusterissuers', singular: 'clusterissuer' },
    scope: 'Cluster',
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, subresources: { status: {} } }],
  },
};

/**
 * Plays helm-controller (which cannot be built here): every HelmRelease Flux applied is marked
 * Ready for its generation, and the cert-manager release "installs" the ClusterIssuer CRD.
 */
function startHelmControllerStandIn(): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for (const hr of await listFlux(kc, 'HelmRelease', FLUX_NS)) {
          if (fluxReady(hr)?.status === 'True') continue;
          if (hr.metadata.name === 'cert-manager') await serverSideApply(CLUSTER_ISSUER_CRD, { kc });
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          const status = {
            observedGeneration: hr.metadata.generation,
            conditions: [{ type: 'Ready', status: 'True', reason: 'InstallSucceeded', message: 'marked Ready by the test (no helm-controller)', lastTransitionTime: now, observedGeneration: hr.metadata.generation }],
          };
          await kubeRequest('PATCH', `/apis/helm.toolkit.fluxcd.io/v2/namespaces/${FLUX_NS}/helmreleases/${hr.metadata.name}/status`, { status }, { kc, contentType: 'application/merge-patch+json' });
        }
      } catch {
        // the CRD may not be there yet, or a conflict: try again
      }
      await sleep(200);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

const revisionOf = (sha: string) => `main@sha1:${sha}`;

async function kustomizations(): Promise<Map<string, FluxObject>> {
  return new Map((await listFlux(kc, 'Kustomization', FLUX_NS)).map((k) => [k.metadata.name, k]));
}

/** A line per Kustomization, for failure messages. */
async function fluxSummary(): Promise<string> {
  const lines: string[] = [];
  for (const kind of ['GitRepository', 'Kustomization']) {
    for (const o of await listFlux(kc, kind, FLUX_NS).catch(() => [])) {
      const r = o.status?.conditions?.find((c) => c.type === 'Ready');
      const handled = kind === 'GitRepository' ? ` requestedAt ${o.metadata.annotations?.[REQUESTED_AT]} handled ${(o.status as { lastHandledReconcileAt?: string } | undefined)?.lastHandledReconcileAt}` : '';
      lines.push(`${kind} ${o.metadata.name}: ${r?.status} ${r?.reason}: ${r?.message} (applied ${o.status?.lastAppliedRevision ?? o.status?.artifact?.revision})${handled}`);
    }
  }
  return lines.join('\n') + `\n--- kustomize-controller:\n${flux?.kustomizeController.tail(15)}\n--- source-controller:\n${flux?.sourceController.tail(10)}`;
}

/**
 * Waits until every named Kustomization is Ready and has applied `sha` (of the fleet repository), or,
 * for one whose source is another repository (an external bundle), that repository's head.
 */
async function waitApplied(names: string[], sha: string, timeoutMs = 180_000): Promise<Map<string, FluxObject>> {
  const expected = (k: FluxObject) => {
    const source = (k.spec.sourceRef as { name: string }).name;
    return revisionOf(source === FLUX_NS ? sha : headOf(git!, POLICIES_REPO)!);
  };
  return waitUntil(
    `Kustomizations ${names.join(', ')} Ready at ${sha}`,
    async () => {
      const ks = await kustomizations();
      const ok = names.every((n) => {
        const k = ks.get(n);
        return k && fluxReady(k)?.status === 'True' && k.status?.lastAppliedRevision === expected(k);
      });
      return ok ? ks : undefined;
    },
    timeoutMs,
    200,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await fluxSummary()}`);
  });
}

beforeAll(async () => {
  cp = await startOwnControlPlane('flux');
  kc = kubeConfigFromFile(cp.kubeconfigPath);
  helmRepo = await startHelmRepository([{ name: 'cert-manager', version: 'v1.16.2' }]);
  flux = await startFlux({ kubeconfigPath: cp.kubeconfigPath, kc, caFile: helmRepo.caFile, logFile: path.join(FLUX_CACHE_DIR, 'e2e-flux.log') });
  await applyCrdsFromDir(path.join(REPO_ROOT, 'crds'), { kc });
  git = await startGit();
  git.createRepo(REPO);
  git.createRepo(POLICIES_REPO);
  seedCommit(git.gitdir(POLICIES_REPO), 'main', [
    [
      'deploy/production/default-deny.yaml',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: default\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n',
    ],
  ]);
  await createNamespaces(kc, [NS.platform, NS.teamA]);
  const creds = { username: GIT_USER, password: GIT_PASSWORD };
  await createSecret(kc, NS.platform, 'git-auth', creds, { 'kure.dev/credentials': 'true' }); // Kure's; the next two are Flux's
  await createSecret(kc, FLUX_NS, 'flux-system', creds);
  await createSecret(kc, FLUX_NS, 'policies-git', creds);
  helmStandIn = startHelmControllerStandIn();
  manager = await startTestManager([NS.platform, NS.teamA], { kubeConfig: kc });
}, 30 * 60_000); // a cold build of the Flux controllers takes minutes; warm, this is seconds

afterAll(async () => {
  await helmStandIn?.stop();
  await manager?.stop();
  await flux?.stop();
  await helmRepo?.stop();
  await git?.stop();
  await cp?.stop();
});

describe('real Flux applies what Kure commits (examples/platform, production)', () => {
  it('bootstraps from Kure\'s commit and applies every bundle, with its namespace and labels, in dependsOn order; leaves a suspended bundle alone', async () => {
    resources = productionResources((r) => git!.url(r), helmRepo!.url);
    for (const r of resources) await applyOn(kc, r);
    const cluster = await waitUntil('KureCluster production to record a commit', async () => {
      const c = await getKureOn(kc, 'KureCluster', NS.platform, 'production');
      return (c.status as { lastCommit?: { sha: string } } | undefined)?.lastCommit?.sha ? c : undefined;
    });
    firstSha = (cluster.status as { lastCommit: { sha: string } }).lastCommit.sha;

    // Bootstrap as `flux bootstrap` would: apply the GitRepository + root Kustomization Kure wrote.
    const sync = parseObjects(showFile(git!, REPO, firstSha, 'clusters/production/flux-system/gotk-sync.yaml'));
    expect(sync.map((o) => o.kind).sort()).toEqual(['GitRepository', 'Kustomization']);
    for (const o of sync) await serverSideApply(o, { kc });

    // Watch the order in which Kustomizations become Ready while Flux works through the tree.
    const firstReady = new Map<string, number>();
    const waitedForDependency = new Set<string>();
    const violations: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const ks = await kustomizations().catch(() => new Map<string, FluxObject>());
        const now = performance.now();
        const ready = [...ks.values()].filter((k) => fluxReady(k)?.status === 'True');
        for (const k of ks.values()) if (k.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'DependencyNotReady')) waitedForDependency.add(k.metadata.name);
        for (const k of ready) if (!firstReady.has(k.metadata.name)) firstReady.set(k.metadata.name, now);
        // A dependency first seen Ready in the same snapshot as its dependent counts as in order.
        for (const k of ready)
          for (const dep of (k.spec.dependsOn as { name: string }[] | undefined) ?? [])
            if (!firstReady.has(dep.name)) violations.push(`${k.metadata.name} was Ready before its dependency ${dep.name} ever was`);
        await sleep(100);
      }
    })();

    const bundles = resources.filter((r) => r.kind === 'KureBundle');
    const active = bundles.filter((b) => !(b.spec as { suspend?: boolean }).suspend).map((b) => b.metadata.name);
    const t0 = performance.now();
    const ks = await waitApplied([...active, 'flux-system'], firstSha);
    const convergedMs = Math.round(performance.now() - t0);
    watching = false;
    await watcher;
    // waitApplied can see the last Kustomizations Ready before the watcher's next snapshot does.
    const end = performance.now();
    for (const k of ks.values()) if (fluxReady(k)?.status === 'True' && !firstReady.has(k.metadata.name)) firstReady.set(k.metadata.name, end);
    process.stderr.write(`e2e flux: ${active.length} bundles applied by Flux ${convergedMs} ms after bootstrap (Flux started in ${flux!.startupMs} ms)\n`);
    expect(violations).toEqual([]);
    // Flux did hold back the end of the longest chain (namespaces → cert-manager → cluster-issuers → web).
    expect(waitedForDependency).toContain('web');

    // dependsOn order from Flux's own timestamps (second resolution) and from what the test saw.
    for (const b of bundles) {
      for (const dep of (b.spec as { dependsOn?: { name: string }[] }).dependsOn ?? []) {
        if (!active.includes(b.metadata.name)) continue;
        const at = (n: string) => Date.parse(fluxReady(ks.get(n))!.lastTransitionTime!);
        expect(at(dep.name)).toBeLessThanOrEqual(at(b.metadata.name));
        expect(firstReady.get(dep.name)!).toBeLessThanOrEqual(firstReady.get(b.metadata.name)!);
      }
    }

    // Every object of every bundle is in the API server, where and how its bundle says.
    let checked = 0;
    for (const b of bundles.filter((x) => active.includes(x.metadata.name))) {
      const k = ks.get(b.metadata.name)!;
      const spec = b.spec as { targetNamespace?: string; commonMetadata?: { labels?: Record<string, string> } };
      const sourceRef = k.spec.sourceRef as { kind: string; name: string };
      const [repo, sha] = sourceRef.name === FLUX_NS ? [REPO, firstSha] : [POLICIES_REPO, 'main'];
      const objects = directoryObjects(git!, repo, sha, k.spec.path as string);
      expect(objects.length).toBeGreaterThan(0);
      expect(k.status?.inventory?.entries?.length).toBe(objects.length);
      for (const o of objects) {
        const namespaced = await isNamespaced(kc, o);
        const namespace = namespaced ? (spec.targetNamespace ?? o.metadata?.namespace ?? 'default') : undefined;
        const live = await getObject(kc, { ...o, metadata: { ...o.metadata, namespace } });
        const what = `${b.metadata.name}: ${o.kind} ${namespace ?? ''}/${o.metadata?.name}`;
        expect({ what, found: !!live }).toEqual({ what, found: true });
        expect({ what, namespace: live!.metadata?.namespace }).toEqual({ what, namespace });
        expect({ what, labels: live!.metadata?.labels }).toEqual({
          what,
          labels: expect.objectContaining({
            ...((o.metadata?.labels as Record<string, string> | undefined) ?? {}),
            ...(spec.commonMetadata?.labels ?? {}),
            [KUSTOMIZE_LABELS.name]: b.metadata.name,
            [KUSTOMIZE_LABELS.namespace]: FLUX_NS,
          }),
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);

    // The suspended bundle: its Kustomization exists and is suspended; Flux never applied it.
    const paused = await getFlux(kc, 'Kustomization', FLUX_NS, 'paused');
    expect(paused?.spec.suspend).toBe(true);
    expect(paused?.status?.lastAppliedRevision).toBeUndefined();
    expect(await getObject(kc, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'paused-settings', namespace: 'web' } })).toBeUndefined();
  }, 15 * 60_000);

  it('prunes an application removed from Kure, once Flux has the commit', async () => {
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frontend-settings', namespace: 'web' } } satisfies KubeObject;
    expect(await getObject(kc, settings)).toBeDefined();
    await deleteKureOn(kc, 'KureApplication', NS.platform, 'frontend-settings');
    const asked = Date.now();
    const push = await waitForPush(git!, REPO, firstSha);
    firstSha = push.sha;
    // Kure asks Flux to look now, right after its push: the annotation is Kure's (the test never sets it).
    await waitUntil(
      'Kure to set reconcile.fluxcd.io/requestedAt on the GitRepository',
      async () => Date.parse((await getFlux(kc, 'GitRepository', FLUX_NS, FLUX_NS))?.metadata.annotations?.[REQUESTED_AT] ?? '') >= asked - 1000,
      30_000,
      50,
      () => 'no requestedAt newer than the change',
    );
    await waitApplied(['web'], push.sha);
    expect(await getObject(kc, settings)).toBeUndefined();
    expect(await getObject(kc, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'frontend', namespace: 'web' } })).toBeDefined();
    const web = await getFlux(kc, 'Kustomization', FLUX_NS, 'web');
    expect(web?.status?.inventory?.entries?.some((e) => e.id.includes('frontend-settings'))).toBe(false);
  }, 5 * 60_000);

  // Issue 10 item 4: the Flux fields users reach for, applied by the real kustomize-controller.
  it('applies a bundle with patches, postBuild (inline and from a ConfigMap), healthChecks and force; HelmReleases with dependsOn, valuesFrom and remediation', async () => {
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'delivered-settings', namespace: 'default' } } satisfies KubeObject;
    // A Job's pod template is immutable (suspended, so nothing would run even with a job controller).
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'delivered-job', namespace: 'default' } } satisfies KubeObject;
    await serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-vars', namespace: FLUX_NS }, data: { region: 'eu-west-1' } }, { kc });
    const deliveredBundle = (force: boolean) =>
      kure('KureBundle', NS.platform, 'delivered', {
        nodeRef: { name: 'apps' },
        targetNamespace: 'default',
        force,
        patches: [
          { patch: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "delivered-settings"}, "data": {"level": "debug"}}' },
          { patch: '- op: add\n  path: /metadata/labels/tier\n  value: delivered\n', target: { kind: 'ConfigMap', labelSelector: 'app=delivered' } },
        ],
        postBuild: { substitute: { greeting: 'hello' }, substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }, { kind: 'Secret', name: 'absent', optional: true }] },
        healthChecks: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'delivered-settings' }],
      });
    await applyOn(kc, deliveredBundle(true));
    type Job = KubeObject & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } };
    const jobNow = async () => getObject<Job>(kc, job);
    const imageOf = (j: Job | undefined) => j?.spec?.template?.spec?.containers?.[0]?.image;
    const manifests = (image: string) =>
      kure('KureApplication', NS.platform, 'delivered-settings', {
        bundleRef: { name: 'delivered' },
        manifests: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'delivered-settings', labels: { app: 'delivered' } },
            data: { greeting: '${greeting}, world', region: '${region}', fallback: '${missing:=none}', literal: '$${greeting}', level: 'info' },
          },
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name: 'delivered-job' },
            spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] } } },
          },
        ],
      });
    await applyOn(kc, manifests('busybox:1'));
    const chart = { chart: 'cert-manager', version: 'v1.16.2', repository: { url: helmRepo!.url } };
    await applyOn(kc, kure('KureApplication', NS.platform, 'delivered-operator', { bundleRef: { name: 'delivered' }, helm: { ...chart, releaseName: 'delivered-operator', install: { remediation: { retries: 3 } }, upgrade: { remediation: { retries: 2, strategy: 'uninstall' } } } }));
    await applyOn(
      kc,
      kure('KureApplication', NS.platform, 'delivered-widgets', {
        bundleRef: { name: 'delivered' },
        helm: { ...chart, releaseName: 'delivered-widgets', dependsOn: [{ name: 'delivered-operator' }], valuesFrom: [{ kind: 'Secret', name: 'widget-db', valuesKey: 'password', targetPath: 'db.password', optional: true }] },
      }),
    );
    const rendered = async (names: string[]) =>
      waitUntil(`KureApplications ${names.join(', ')} rendered and pushed`, async () => {
        for (const n of names) {
          const a = await getKureOn(kc, 'KureApplication', NS.platform, n);
          const ready = (a.status as { conditions?: { type: string; status: string; observedGeneration?: number }[] } | undefined)?.conditions?.find((c) => c.type === 'Ready');
          if (ready?.status !== 'True' || ready.observedGeneration !== a.metadata.generation) return undefined;
        }
        return headOf(git!, REPO);
      });
    let sha = await rendered(['delivered-settings', 'delivered-operator', 'delivered-widgets']);
    const ks = await waitApplied(['delivered'], sha);
    expect(ks.get('delivered')!.spec).toMatchObject({ force: true, postBuild: { substitute: { greeting: 'hello' } } });

    // postBuild: inline value, a ConfigMap of flux-system, a default, an escape; patches: merge and JSON 6902
    const live = await getObject<KubeObject & { data?: Record<string, string> }>(kc, settings);
    expect(live?.data).toEqual({ greeting: 'hello, world', region: 'eu-west-1', fallback: 'none', literal: '${greeting}', level: 'debug' });
    expect(live?.metadata?.labels).toMatchObject({ app: 'delivered', tier: 'delivered' });
    expect(imageOf(await jobNow())).toBe('busybox:1');

    // HelmReleases as the real API server stores them (Flux's CRD): dependsOn by release name, valuesFrom, remediation
    const operator = await getFlux(kc, 'HelmRelease', 'default', 'delivered-operator');
    expect(operator?.spec).toMatchObject({ install: { remediation: { retries: 3 } }, upgrade: { remediation: { retries: 2, strategy: 'uninstall' } } });
    const widgets = await getFlux(kc, 'HelmRelease', 'default', 'delivered-widgets');
    expect(widgets?.spec).toMatchObject({
      dependsOn: [{ name: 'delivered-operator' }],
      valuesFrom: [{ kind: 'Secret', name: 'widget-db', valuesKey: 'password', targetPath: 'db.password', optional: true }],
    });

    // force: a Job's template changes; Flux recreates the Job instead of failing ...
    const pushed = async (previous: string) => {
      await waitUntil('a new commit', async () => (headOf(git!, REPO) !== previous ? true : undefined));
      return rendered(['delivered-settings']);
    };
    const before = (await jobNow())?.metadata?.uid;
    await applyOn(kc, manifests('busybox:2'));
    sha = await pushed(sha);
    await waitApplied(['delivered'], sha);
    const after = await jobNow();
    expect(imageOf(after)).toBe('busybox:2');
    expect(after?.metadata?.uid).not.toBe(before);

    // ... and without force the same change fails, and the object stays as it was. The Kustomization
    // must have its new spec before the change arrives: reconciled at the new revision with the old
    // spec (before the root Kustomization applied the new one), Flux would still force it.
    const KS_FILE = 'clusters/production/flux/kustomizations/delivered.yaml';
    const withForce = (head: string) => showFile(git!, REPO, head, KS_FILE).includes('\n  force: true\n');
    await applyOn(kc, deliveredBundle(false));
    sha = await waitUntil('the bundle pushed without force', async () => {
      const head = headOf(git!, REPO)!;
      return head !== sha && !withForce(head) ? head : undefined;
    });
    await waitApplied(['delivered'], sha);
    await waitUntil('Kustomization delivered without force', async () => {
      const k = await getFlux(kc, 'Kustomization', FLUX_NS, 'delivered');
      return k && !k.spec.force && k.status?.observedGeneration === k.metadata.generation && k.status?.lastAppliedRevision === revisionOf(sha) ? true : undefined;
    });
    await applyOn(kc, manifests('busybox:3'));
    sha = await pushed(sha);
    let seen = '';
    const failed = await waitUntil(
      'Kustomization delivered to fail on the immutable Job template',
      async () => {
        const k = await getFlux(kc, 'Kustomization', FLUX_NS, 'delivered');
        const ready = fluxReady(k);
        seen = `expected ${revisionOf(sha)}; job image ${imageOf(await jobNow())}; ${JSON.stringify(k?.status?.conditions)}`;
        return k?.status?.lastAttemptedRevision === revisionOf(sha) && ready?.status === 'False' ? ready : undefined;
      },
      120_000,
      100,
      () => `${seen}\n${flux?.kustomizeController.tail(6)}`,
    );
    expect(failed.message).toMatch(/immutable/);
    expect(imageOf(await jobNow())).toBe('busybox:2');

    // force again: applied
    await applyOn(kc, deliveredBundle(true));
    sha = await waitUntil('the bundle pushed with force', async () => {
      const head = headOf(git!, REPO)!;
      return head !== sha && withForce(head) ? head : undefined;
    });
    await waitApplied(['delivered'], sha);
    expect(imageOf(await jobNow())).toBe('busybox:3');
    firstSha = sha;
  }, 5 * 60_000);

  // Two series: a bundle without dependencies (Flux's own pickup), and `web`, the end of the chain
  // namespaces → cert-manager → cluster-issuers → web: Flux applies a dependent only after each
  // dependency has applied the same revision of the shared source, re-checking every --requeue-dependency.
  it.each([
    ['leaf', 'a bundle without dependsOn'],
    ['web', 'web (3 dependencies deep)'],
  ])('measures a KureApplication change → pushed → objects changed by Flux, %s (Kure pokes requestedAt after the push)', async (bundle, label) => {
    const samples = Number(process.env.KURE_E2E_LATENCY_SAMPLES ?? 10);
    const name = `latency-${bundle}`;
    const namespace = bundle === 'web' ? 'web' : 'default';
    if (bundle === 'leaf') {
      await applyOn(kc, kure('KureBundle', NS.platform, 'leaf', { nodeRef: { name: 'apps' }, targetNamespace: 'default' }));
      firstSha = (await waitForPush(git!, REPO, firstSha)).sha;
      await waitApplied(['leaf'], firstSha);
    }
    const changeToApplied: number[] = [];
    const pushToApplied: number[] = [];
    const changeToPush: number[] = [];
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } } satisfies KubeObject;
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await applyOn(kc, kure('KureApplication', NS.platform, name, { bundleRef: { name: bundle }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } }] }));
      const push = await waitForPush(git!, REPO, firstSha);
      await waitUntil(`ConfigMap ${namespace}/${name} with i=${i}`, async () => (await getObject<KubeObject & { data?: { i?: string } }>(kc, cm))?.data?.i === String(i), 120_000, 25).catch(async (err: Error) => {
        throw new Error(`${err.message}: Flux did not apply ${push.sha}\n${await fluxSummary()}`);
      });
      const t1 = performance.now();
      changeToApplied.push(t1 - t0);
      pushToApplied.push(t1 - push.at);
      changeToPush.push(push.at - t0);
      firstSha = push.sha;
    }
    const stats = (v: number[]) => ({ p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)), max: Math.round(Math.max(...v)) });
    const report = { bundle: label, samples, changeToPush: stats(changeToPush), pushToApplied: stats(pushToApplied), changeToApplied: stats(changeToApplied) };
    writeFileSync(path.join(FLUX_CACHE_DIR, `e2e-flux-latency-${bundle}.json`), JSON.stringify({ ...report, raw: { changeToPush, pushToApplied, changeToApplied } }, null, 2));
    process.stderr.write(`e2e flux latency (ms): ${JSON.stringify(report)}\n`);
    // Flux pulls only on its interval (1m here) without the poke: anything near that means the poke did not work.
    expect(report.pushToApplied.p50).toBeLessThan(30_000);
  }, 10 * 60_000);

  // Issue 10 item 2: Kure watches the Kustomizations it rendered (labels kure.dev/...) and reports
  // each bundle's Applied condition from Flux's own status, at the commit of its current generation.
  const appliedOf = (b: KureResource) => (b.status as { conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[] } | undefined)?.conditions?.find((c) => c.type === 'Applied');

  it('reports Applied=True on every applied bundle and the cluster summary, from the real Kustomizations', async () => {
    const active = resources.filter((r) => r.kind === 'KureBundle' && !(r.spec as { suspend?: boolean }).suspend).map((b) => b.metadata.name);
    for (const name of [...active, 'leaf']) {
      const b = await waitUntil(`KureBundle ${name} Applied=True`, async () => {
        const got = await getKureOn(kc, 'KureBundle', NS.platform, name).catch(() => undefined);
        return got && appliedOf(got)?.status === 'True' ? got : undefined;
      }, 120_000).catch(async (err: Error) => {
        const got = await getKureOn(kc, 'KureBundle', NS.platform, name).catch(() => undefined);
        throw new Error(`${err.message}: ${JSON.stringify(got && appliedOf(got))}`);
      });
      expect(appliedOf(b)).toMatchObject({ reason: 'Applied', observedGeneration: b.metadata.generation });
      expect(appliedOf(b)!.message).toMatch(/^Flux Kustomization flux-system\/.+ is Ready at main@sha1:[0-9a-f]{40}$/);
    }
    const k = await getFlux(kc, 'Kustomization', FLUX_NS, 'leaf');
    expect(k?.metadata.labels).toMatchObject({ 'kure.dev/cluster': 'production', 'kure.dev/cluster-namespace': NS.platform, 'kure.dev/bundle': 'leaf', 'kure.dev/bundle-namespace': NS.platform });
    // The suspended bundle never applied: not Applied, in Flux's words or Kure's.
    const paused = await getKureOn(kc, 'KureBundle', NS.platform, 'paused');
    expect(appliedOf(paused)?.status).toBe('False');
    const cluster = await waitUntil('KureCluster production status.applied', async () => {
      const c = await getKureOn(kc, 'KureCluster', NS.platform, 'production');
      return (c.status as { applied?: string } | undefined)?.applied ? c : undefined;
    });
    // The example's bundles plus `delivered` and `leaf` (added by the tests above); all but the suspended one applied.
    const total = resources.filter((r) => r.kind === 'KureBundle').length + 2;
    expect((cluster.status as { applied: string }).applied).toMatch(new RegExp(`^${total - 1}/${total} at [0-9a-f]{12}$`));
    process.stderr.write(`e2e flux: KureCluster production applied ${(cluster.status as { applied: string }).applied}\n`);
  }, 5 * 60_000);

  it("reports Applied=False with Flux's reason for a bundle whose dependency is not ready", async () => {
    await applyOn(kc, kure('KureBundle', NS.platform, 'blocked', { nodeRef: { name: 'apps' }, targetNamespace: 'default', dependsOn: [{ name: 'paused' }] }));
    const b = await waitUntil('KureBundle blocked Applied=False/DependencyNotReady', async () => {
      const got = await getKureOn(kc, 'KureBundle', NS.platform, 'blocked').catch(() => undefined);
      return got && appliedOf(got)?.reason === 'DependencyNotReady' ? got : undefined;
    }, 120_000);
    expect(appliedOf(b)).toMatchObject({ status: 'False', reason: 'DependencyNotReady' });
    expect(appliedOf(b)!.message).toContain('paused');
    await deleteKureOn(kc, 'KureBundle', NS.platform, 'blocked');
    firstSha = (await waitForPush(git!, REPO, firstSha)).sha;
  }, 5 * 60_000);

  it('measures a KureBundle change → Applied=True at its new generation (from the Kustomization watch)', async () => {
    const samples = Number(process.env.KURE_E2E_LATENCY_SAMPLES ?? 10);
    const changeToApplied: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await applyOn(kc, kure('KureBundle', NS.platform, 'leaf', { nodeRef: { name: 'apps' }, targetNamespace: 'default', commonMetadata: { annotations: { 'e2e.kure.dev/i': String(i) } } }));
      await waitUntil(`KureBundle leaf Applied=True at its generation (i=${i})`, async () => {
        const got = await getKureOn(kc, 'KureBundle', NS.platform, 'leaf');
        const c = appliedOf(got);
        return c?.status === 'True' && c.observedGeneration === got.metadata.generation && (got.status as { observedGeneration?: number }).observedGeneration === got.metadata.generation ? got : undefined;
      }, 120_000, 25);
      changeToApplied.push(performance.now() - t0);
    }
    const stats = (v: number[]) => ({ p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)), max: Math.round(Math.max(...v)) });
    const report = { samples, changeToAppliedCondition: stats(changeToApplied) };
    writeFileSync(path.join(FLUX_CACHE_DIR, 'e2e-flux-applied-latency.json'), JSON.stringify({ ...report, raw: changeToApplied }, null, 2));
    process.stderr.write(`e2e flux Applied condition latency (ms): ${JSON.stringify(report)}\n`);
    expect(report.changeToAppliedCondition.p50).toBeLessThan(30_000);
  }, 10 * 60_000);
});
