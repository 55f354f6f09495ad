// The image (scripts/build-image.sh) run as the chart runs it, with exactly the chart's rights:
// - helm template renders the chart; its Namespace-scoped and cluster objects (ServiceAccount, RBAC, CRDs,
//   Deployment, Service) are applied to a real API server of this test's own, started with an audit log;
// - a TokenRequest token for the chart's ServiceAccount and the API server's CA are mounted at the
//   in-cluster path, KUBERNETES_SERVICE_HOST/PORT point at the API server: the in-cluster config is used,
//   no kubeconfig;
// - the container runs (testcontainers) with the Deployment's args, env and volumes as rendered, its
//   read-only root filesystem, user, dropped capabilities and no-new-privileges;
// - it reconciles the examples into a real Git server, answers /readyz and /metrics, holds the Lease and
//   releases it on SIGTERM; the chart's helm test hook passes against it;
// - the audit log shows no denial, and the (group, resource, verb) triples the controller used are exactly
//   those the chart grants: a missing or an unused permission fails.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StartedTestContainer } from 'testcontainers';

import type { KureResource } from '../../src/api/schema.js';
import { readResources } from '../../src/cli/read.js';
import { CONTAINERS_REQUIRED, connectContainerEngine, engineRequest, hasImage, type ContainerEngine } from '../support/container-engine.js';
import { REPO_ROOT, startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { gitCli, startGitServer, type GitServer } from '../support/git-server.js';
import { ARGOCD_CRDS } from '../support/argocd.js';
import { FLUX_CRDS } from '../support/flux.js';
import { findHelm, helmTemplate, isHook } from '../support/helm.js';
import { applyCrdsFromDir, kubeConfigFromFile, kubeRequest, serverSideApply, waitForCrdEstablished, type KubeObject } from '../support/kube.js';
import type { KubeConfig } from '@kubernetes/client-node';

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = process.env.KURE_TEST_IMAGE ?? `localhost/kure:${VERSION}`;
const RELEASE = 'kure';
const RELEASE_NS = 'kure-system';
const GIT_USER = 'kure';
const GIT_PASSWORD = 'image-test-pw';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const POD_NAME = `kure-${Math.random().toString(36).slice(2, 7)}-test`;

// ---------------------------------------------------------------- prerequisites (skip or, in CI, fail)
async function prerequisites(): Promise<{ engine?: ContainerEngine; missing?: string }> {
  if (!findHelm()) return { missing: 'no helm (scripts/build-helm.sh)' };
  const engine = await connectContainerEngine();
  if (typeof engine === 'string') return { missing: engine };
  if (!(await hasImage(engine.dockerHost, IMAGE))) {
    await engine.stop();
    return { missing: `the image ${IMAGE} is not built (scripts/build-image.sh)` };
  }
  return { engine };
}
const pre = await prerequisites();
if (pre.missing && !CONTAINERS_REQUIRED) process.stderr.write(`\nimage tests skipped: ${pre.missing}\n`);

// ---------------------------------------------------------------- helpers
type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Kubernetes quantity (2Gi, 500Mi, 1G) in bytes, for the tmpfs that stands in for a sized emptyDir. */
function bytes(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const mult: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.round(Number(m[1]) * (m[2] ? (mult[m[2]] ?? 1) : 1));
}

interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** "group|resource[/subresource]|verb" of every rule, expanded. */
function granted(rules: { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] }[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    if (r.resourceNames?.length) throw new Error('resourceNames rules are not compared by this test yet');
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs) out.add(`${g}|${res}|${v}`);
  }
  return [...out].sort();
}

function used(events: AuditEvent[]): string[] {
  const out = new Set<string>();
  for (const e of events) {
    const o = e.objectRef;
    if (!o?.resource) out.add(`non-resource|${e.requestURI}|${e.verb}`);
    else out.add(`${o.apiGroup ?? ''}|${o.resource}${o.subresource ? `/${o.subresource}` : ''}|${e.verb}`);
  }
  return [...out].sort();
}

// ---------------------------------------------------------------- the test
const suite = pre.engine || CONTAINERS_REQUIRED ? describe : describe.skip;

suite(`the image ${IMAGE} with the chart's rights`, () => {
  const engine = pre.engine;
  let dir: string;
  let auditLog: string;
  let cp: ControlPlane;
  let kc: KubeConfig;
  let git: GitServer;
  let metricsPort: number;
  let rendered: Obj[];
  let saUser: string;
  let container: StartedTestContainer | undefined;
  let containerId = '';
  const logs: string[] = [];
  let brokenEventAt = 0;

  const req = <T = Obj>(method: string, p: string, body?: unknown, contentType?: string) => kubeRequest<T>(method, p, body, { kc, ...(contentType ? { contentType } : {}) });
  const apply = (o: KubeObject) => serverSideApply(o, { kc, fieldManager: 'helm' });
  const metrics = (p: string) => fetch(`http://127.0.0.1:${metricsPort}${p}`);
  const auditEvents = (): AuditEvent[] =>
    readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.user.username === saUser);
  const ready = async (kind: string, ns: string, name: string) => {
    const { body } = await req(`GET`, `/apis/kure.dev/v1alpha1/namespaces/${ns}/${kind.toLowerCase()}s/${name}`);
    return (body.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready') as { status: string; reason: string; message: string } | undefined;
  };
  const tree = (prefix: string, ref = 'main') =>
    gitCli(['--git-dir', git.gitdir('fleet'), 'ls-tree', '-r', '--name-only', ref, '--', prefix]).split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    if (!engine) throw new Error(`the image test cannot run: ${pre.missing} (CI must provide it)`);
    const { GenericContainer } = await import('testcontainers');
    dir = mkdtempSync(path.join(tmpdir(), 'kure-image-test-'));

    // The chart as a user renders it: our image, one replica, the metrics port free on this host.
    metricsPort = await freePort();
    const colon = IMAGE.lastIndexOf(':');
    rendered = (await helmTemplate({
      release: RELEASE,
      namespace: RELEASE_NS,
      includeCrds: true,
      values: { image: { repository: IMAGE.slice(0, colon), tag: IMAGE.slice(colon + 1), pullPolicy: 'Never' }, replicaCount: 1, controller: { metricsPort } },
    })) as Obj[];
    const sa = rendered.find((o) => o.kind === 'ServiceAccount')!;
    saUser = `system:serviceaccount:${RELEASE_NS}:${sa.metadata!.name}`;

    // An API server of our own, auditing every request of that ServiceAccount.
    auditLog = path.join(dir, 'audit.log');
    const policy = path.join(dir, 'audit-policy.yaml');
    writeFileSync(
      policy,
      JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: [{ level: 'Metadata', users: [saUser] }, { level: 'None' }] }),
    );
    cp = await startControlPlane({
      logFile: path.join(dir, 'control-plane.log'),
      apiServerArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-mode=blocking'],
    });
    kc = kubeConfigFromFile(cp.kubeconfigPath);

    // helm install, by hand: the namespace, CRDs first, then every non-hook object.
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: RELEASE_NS } });
    const crds = rendered.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds).toHaveLength(4);
    for (const crd of crds) await apply(crd);
    for (const crd of crds) await waitForCrdEstablished(crd.metadata!.name!, 60_000, kc);
    // The engines' upstream CRDs, as in a cluster that runs Flux or Argo CD: the controller lists and
    // watches the Kustomizations and Applications it rendered (controller.watchEngine, the Applied condition).
    await applyCrdsFromDir(FLUX_CRDS, { kc });
    await applyCrdsFromDir(ARGOCD_CRDS, { kc });
    for (const o of rendered.filter((o) => o.kind !== 'CustomResourceDefinition' && !isHook(o))) await apply(o);

    // What the kubelet would mount: a TokenRequest token, the CA, the namespace.
    const { body: tr } = await req<{ status: { token: string } }>('POST', `/api/v1/namespaces/${RELEASE_NS}/serviceaccounts/${sa.metadata!.name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    const saDir = path.join(dir, 'serviceaccount');
    mkdirSync(saDir, { mode: 0o755 });
    const cluster = kc.getCurrentCluster()!;
    const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString() : readFileSync(cluster.caFile!, 'utf8');
    writeFileSync(path.join(saDir, 'token'), tr.status.token, { mode: 0o644 });
    writeFileSync(path.join(saDir, 'ca.crt'), ca, { mode: 0o644 });
    writeFileSync(path.join(saDir, 'namespace'), RELEASE_NS, { mode: 0o644 });

    // The examples, pointed at a real Git server, with their Secrets; and a cluster whose Secret is missing.
    git = await startGitServer({ username: GIT_USER, password: GIT_PASSWORD });
    git.createRepo('fleet');
    const { resources, errors } = readResources([path.join(REPO_ROOT, 'examples', 'platform')], () => '');
    expect(errors).toEqual([]);
    for (const ns of ['platform', 'platform-staging', 'team-a', 'ops']) await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const ns of ['platform', 'platform-staging'])
      await apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'fleet-git', namespace: ns, labels: { 'kure.dev/credentials': 'true' } },
        stringData: { username: GIT_USER, password: GIT_PASSWORD },
      });
    for (const r of resources as KureResource[]) {
      if (r.kind === 'KureCluster') r.spec.repository.url = git.url('fleet');
      await apply(r as unknown as KubeObject);
    }
    await apply(brokenCluster('v1'));

    // The Deployment's pod, as a container.
    const deployment = rendered.find((o) => o.kind === 'Deployment')!;
    const pod = deployment.spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    const sc = { ...pod.securityContext, ...c.securityContext };
    const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(cp.server).port };
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = POD_NAME;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = RELEASE_NS;
      else throw new Error(`env ${e.name}: this test cannot provide ${JSON.stringify(e.valueFrom)}`);
    }
    const tmpfs: Record<string, string> = {};
    for (const m of c.volumeMounts ?? []) {
      const v = pod.volumes.find((x: { name: string }) => x.name === m.name);
      if (!v?.emptyDir) throw new Error(`volume ${m.name}: only emptyDir volumes are emulated`);
      tmpfs[m.mountPath] = `rw,nosuid,nodev,mode=1777${v.emptyDir.sizeLimit ? `,size=${bytes(v.emptyDir.sizeLimit)}` : ''}`;
    }
    expect(sc).toMatchObject({ readOnlyRootFilesystem: true, runAsUser: 65532, runAsGroup: 65532, allowPrivilegeEscalation: false });

    class PodContainer extends GenericContainer {
      readOnlyRoot(): this {
        this.hostConfig.ReadonlyRootfs = true;
        return this;
      }
    }
    let gc = new PodContainer(IMAGE)
      .withName(POD_NAME)
      .withHostname(POD_NAME)
      .withPullPolicy({ shouldPull: () => false })
      .withNetworkMode('host')
      .withUser(`${sc.runAsUser}:${sc.runAsGroup}`)
      .withEnvironment(env)
      .withTmpFs(tmpfs)
      .withBindMounts([{ source: saDir, target: SA_DIR, mode: 'ro' }])
      .withDroppedCapabilities(...(sc.capabilities?.drop ?? []))
      .withSecurityOpt('no-new-privileges')
      .withLogConsumer((stream) => {
        // A chunk may end mid-line: keep the tail until its newline arrives.
        let tail = '';
        stream.on('data', (d: Buffer | string) => {
          const lines = (tail + String(d)).split('\n');
          tail = lines.pop() ?? '';
          logs.push(...lines.filter(Boolean));
        });
        stream.on('end', () => tail && logs.push(tail));
      })
      .withStartupTimeout(60_000)
      .readOnlyRoot();
    if (c.command) gc = gc.withEntrypoint(c.command);
    if (c.args) gc = gc.withCommand(c.args);
    container = await gc.start();
    containerId = container.getId();
  });

  function brokenCluster(author: string): KubeObject {
    return {
      apiVersion: 'kure.dev/v1alpha1',
      kind: 'KureCluster',
      metadata: { name: 'broken', namespace: 'ops' },
      spec: {
        gitops: { engine: 'flux' },
        repository: { url: git.url('other'), path: 'clusters/broken', secretRef: { name: 'missing' }, author: { name: author, email: 'ops@example.com' } },
      },
    };
  }

  afterAll(async () => {
    if (container) await container.stop({ timeout: 1000 }).catch(() => undefined);
    if (containerId && engine) await engineRequest(engine.dockerHost, 'DELETE', `/containers/${containerId}?force=true`).catch(() => undefined);
    await git?.stop();
    await cp?.stop();
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (process.env.KURE_TEST_SHOW_CONTAINER_LOGS) process.stderr.write(logs.join('\n') + '\n');
  });

  it('answers /readyz and /metrics, and holds the Lease', async () => {
    const res = await waitFor('/readyz 200', async () => {
      const r = await metrics('/readyz');
      return r.status === 200 ? r : undefined;
    });
    expect(await res.text()).toMatch(/^ok\n/);
    const lease = await waitFor('the Lease held by the pod', async () => {
      const { body } = await req('GET', `/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NS}/leases/kure-controller-leader`);
      return body.spec?.holderIdentity === POD_NAME ? body : undefined;
    });
    expect(lease.spec.leaseDurationSeconds).toBe(15);
    const text = await waitFor('kure_leader 1', async () => {
      const t = await (await metrics('/metrics')).text();
      return /^kure_leader 1$/m.test(t) ? t : undefined;
    });
    expect(text).toMatch(/^# TYPE kure_reconcile_total counter$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('reconciles the examples into the Git server: the same tree as kure render', async () => {
    for (const [ns, name] of [
      ['platform', 'production'],
      ['platform-staging', 'staging'],
    ] as const) {
      await waitFor(`KureCluster ${ns}/${name} Ready`, async () => (await ready('KureCluster', ns, name))?.status === 'True');
    }
    const golden = (c: string) =>
      gitCli(['ls-files', '--', `test/golden/platform/clusters/${c}`], { cwd: REPO_ROOT })
        .split('\n')
        .filter(Boolean)
        .map((f) => f.replace('test/golden/platform/', ''))
        .sort();
    expect(tree('clusters/production')).toEqual(golden('production'));
    expect(tree('clusters/staging')).toEqual(golden('staging'));
    const broken = await waitFor('KureCluster ops/broken NotFound', async () => {
      const r = await ready('KureCluster', 'ops', 'broken');
      return r?.reason === 'NotFound' ? r : undefined;
    });
    expect(broken.message).toContain('Secret ops/missing');
    const { body: events } = await req('GET', '/apis/events.k8s.io/v1/namespaces/ops/events');
    const warning = events.items.find((e: Obj) => e.reason === 'NotFound' && e.regarding?.name === 'broken');
    expect(warning).toBeDefined();
    brokenEventAt = Date.parse(warning.eventTime);
  });

  it('commits a change to one application', async () => {
    const before = gitCli(['--git-dir', git.gitdir('fleet'), 'rev-parse', 'main']).trim();
    await req(
      'PATCH',
      '/apis/kure.dev/v1alpha1/namespaces/platform/kureapplications/frontend-settings',
      { spec: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frontend-settings' }, data: { FEATURE_FLAGS: 'checkout-v3' } }] } },
      'application/merge-patch+json',
    );
    await waitFor('a second commit', () => gitCli(['--git-dir', git.gitdir('fleet'), 'rev-parse', 'main']).trim() !== before);
    const changed = gitCli(['--git-dir', git.gitdir('fleet'), 'diff', '--name-only', before, 'main']).split('\n').filter(Boolean);
    expect(changed).toEqual(['clusters/production/nodes/apps/web/frontend-settings.yaml']);
    expect(gitCli(['--git-dir', git.gitdir('fleet'), 'show', 'main:clusters/production/nodes/apps/web/frontend-settings.yaml'])).toContain('checkout-v3');
  });

  it('patches the series of an Event that repeats (30 s later)', async () => {
    // The controller patches an Event's series at most every 30 s; wait that out, then make the same
    // failure happen again with a spec change (a new generation).
    const wait = brokenEventAt + 31_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await apply(brokenCluster('v2'));
    await waitFor('the NotFound Event with series.count 2', async () => {
      const { body } = await req('GET', '/apis/events.k8s.io/v1/namespaces/ops/events');
      return body.items.some((e: Obj) => e.reason === 'NotFound' && (e.series?.count ?? 0) >= 2);
    });
  }, 90_000);

  it("passes the chart's helm test hook", async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    const hook = rendered.find((o) => o.kind === 'Pod' && isHook(o))!;
    const hc = hook.spec.containers[0];
    const sc = { ...hook.spec.securityContext, ...hc.securityContext };
    const args = [...hc.args];
    expect(args[1]).toBe(`http://kure-metrics.${RELEASE_NS}.svc:8080/readyz`);
    // No cluster DNS here: the Service's port is the container's port on this host.
    args[1] = `http://127.0.0.1:${metricsPort}/readyz`;
    const out: string[] = [];
    const t = await new GenericContainer(IMAGE)
      .withPullPolicy({ shouldPull: () => false })
      .withNetworkMode('host')
      .withUser(`${sc.runAsUser}:${sc.runAsGroup}`)
      .withEntrypoint(hc.command)
      .withCommand(args)
      .withLogConsumer((s) => s.on('data', (d: Buffer | string) => out.push(String(d))))
      .withWaitStrategy(Wait.forOneShotStartup())
      .withStartupTimeout(60_000)
      .start();
    const { body } = await engineRequest<{ State: { ExitCode: number } }>(engine!.dockerHost, 'GET', `/containers/${t.getId()}/json`);
    await t.stop().catch(() => undefined);
    expect({ exit: body.State.ExitCode, out: out.join('') }).toEqual({ exit: 0, out: expect.stringContaining(': 200 ok') });
  });

  it('writes only to its emptyDirs', async () => {
    // Read-only root: podman adds tmpfs on /run and /var/tmp besides the chart's mounts; Kure uses neither.
    const r = await container!.exec(['sh', '-c', 'find /var/tmp -mindepth 1; touch /app/x 2>&1; ls -A /var/cache/kure | head -1']);
    const lines = r.output.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/Read-only file system/);
    expect(lines.length).toBe(2); // the Git cache holds the clone
  });

  it('releases the Lease on SIGTERM and exits 0', async () => {
    const stopped = await container!.stop({ timeout: 30_000, remove: false });
    container = undefined;
    const { body } = await engineRequest<{ State: { ExitCode: number; Running: boolean } }>(engine!.dockerHost, 'GET', `/containers/${stopped.getId()}/json`);
    expect(body.State).toMatchObject({ Running: false, ExitCode: 0 });
    const { body: lease } = await req('GET', `/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NS}/leases/kure-controller-leader`);
    expect(lease.spec.holderIdentity ?? '').toBe('');
    // The followed log stream may not have delivered the last lines when stop() returns; the engine's
    // record of the stopped container is complete.
    const { body: record } = await engineRequest<string>(engine!.dockerHost, 'GET', `/containers/${stopped.getId()}/logs?stdout=true&stderr=true`);
    expect(String(record)).toContain('released the leader lease');
  });

  it("used exactly the chart's permissions, and was never denied", () => {
    const events = auditEvents();
    expect(events.length).toBeGreaterThan(10);
    const denied = events.filter((e) => e.responseStatus?.code === 403 || e.annotations?.['authorization.k8s.io/decision'] === 'forbid');
    // controller.namespaces is empty here: the controller's rules are the ClusterRole (chart.test.ts checks
    // that listed namespaces get the same rules as Roles), the Lease's Role is the other.
    const clusterRole = rendered.find((o) => o.kind === 'ClusterRole')!;
    const role = rendered.find((o) => o.kind === 'Role' && o.metadata?.name?.endsWith('-leader-election'))!;
    const grants = granted([...clusterRole.rules, ...role.rules]);
    const uses = used(events);
    // RBAC cannot express it, so check it here: Secrets were listed and watched only with the credentials
    // label selector, and read by name only where a KureCluster's secretRef points.
    const secretRequests = events.filter((e) => e.objectRef?.resource === 'secrets');
    const selectorOf = (e: AuditEvent) => new URL(e.requestURI, 'https://api.invalid').searchParams.get('labelSelector');
    expect(secretRequests.filter((e) => e.verb === 'watch').length).toBeGreaterThan(0);
    expect(secretRequests.filter((e) => (e.verb === 'list' || e.verb === 'watch') && selectorOf(e) !== 'kure.dev/credentials=true').map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
    const secretGets = new Set(secretRequests.filter((e) => e.verb === 'get').map((e) => `${e.objectRef?.namespace}/${e.objectRef?.name}`));
    expect([...secretGets].filter((g) => !['platform/fleet-git', 'platform-staging/fleet-git', 'ops/missing'].includes(g))).toEqual([]);
    expect({
      denied: denied.map((e) => `${e.verb} ${e.requestURI}`),
      deniedInLogs: logs.filter((l) => /forbidden|HTTP-Code: 403|\bcode\W+403\b/i.test(l)),
      // needed by the controller, not granted by the chart
      missing: uses.filter((u) => !grants.includes(u)),
      // granted by the chart, never used by the controller in this run
      unused: grants.filter((g) => !uses.includes(g)),
      leaseNamespaces: [...new Set(events.filter((e) => e.objectRef?.resource === 'leases').map((e) => e.objectRef?.namespace))],
    }).toEqual({ denied: [], deniedInLogs: [], missing: [], unused: [], leaseNamespaces: [RELEASE_NS] });
  });
});
