// `kure reconcile cluster NAME` against a real API server. The test plays the controller: it waits for
// the reconcile.fluxcd.io/requestedAt annotation the command sets and writes status (the status
// subresource: lastHandledReconcileAt, Ready, lastCommit) as the controller would, so the command's
// own behaviour (annotate, wait for the echo of ITS request, Ready True/False, timeout) is what is tested.
// A control plane of its own: its KureCluster CRD gets status.lastHandledReconcileAt if crds/ does not
// have it yet (the field is the controller's; until the CRDs are regenerated the API server would prune it).
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import type { KubeConfig } from '@kubernetes/client-node';
import { REQUESTED_AT, rfc3339Nano, runReconcile } from '../../../src/cli/reconcile.js';
import { main as kureMain } from '../../../src/cli/main.js';
import { CACHE_DIR, REPO_ROOT, startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import { createTestNamespace, kubeConfigFromFile, kubeRequest, readYamlObjects, serverSideApply, waitForCrdEstablished, type KubeObject } from '../../support/kube.js';
import { buildCli, removeCliBuild } from './harness.js';

let cp: ControlPlane;
let kc: KubeConfig;
let cli: Promise<string>;
const tmp = mkdtempSync(path.join(tmpdir(), 'kure-reconcile-cli-'));

beforeAll(async () => {
  cli = buildCli(); // in parallel with the control plane; awaited by the one test that spawns it
  cli.catch(() => undefined);
  cp = await startControlPlane({ logFile: path.join(CACHE_DIR, 'reconcile-cli-test-control-plane.log') });
  kc = kubeConfigFromFile(cp.kubeconfigPath);
  for (const crd of readYamlObjects(path.join(REPO_ROOT, 'crds')).filter((o) => o.kind === 'CustomResourceDefinition')) {
    const c = crd as KubeObject & { spec: { versions: { schema: { openAPIV3Schema: { properties: { status?: { properties: Record<string, unknown> } } } } }[] } };
    for (const v of c.spec.versions) {
      const status = v.schema.openAPIV3Schema.properties.status;
      if (status) status.properties.lastHandledReconcileAt ??= { type: 'string' };
    }
    await serverSideApply(c, { kc });
    await waitForCrdEstablished(c.metadata!.name!, 60_000, kc);
  }
}, 180_000);
afterAll(async () => {
  await cp?.stop();
  await removeCliBuild();
  rmSync(tmp, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), stdin: () => '' } };
}

const base = (ns: string, name: string) => `/apis/kure.dev/v1alpha1/namespaces/${ns}/kureclusters/${name}`;

async function createCluster(ns: string, name: string, spec: Record<string, unknown> = {}): Promise<void> {
  await kubeRequest(
    'POST',
    `/apis/kure.dev/v1alpha1/namespaces/${ns}/kureclusters`,
    {
      apiVersion: 'kure.dev/v1alpha1',
      kind: 'KureCluster',
      metadata: { name, namespace: ns },
      spec: { gitops: { engine: 'flux' }, repository: { url: 'https://git.example/fleet.git', branch: 'main', path: `clusters/${name}` }, ...spec },
    },
    { kc },
  );
}

interface Cluster {
  metadata: { generation?: number; annotations?: Record<string, string> };
  status?: Record<string, unknown>;
}
const getCluster = async (ns: string, name: string) => (await kubeRequest<Cluster>('GET', base(ns, name), undefined, { kc })).body;

/** Writes the status subresource, as the controller does (merge patch). */
async function writeStatus(ns: string, name: string, status: Record<string, unknown>): Promise<void> {
  await kubeRequest('PATCH', `${base(ns, name)}/status`, { status }, { kc, contentType: 'application/merge-patch+json' });
}

const ready = (status: 'True' | 'False', reason: string, message: string, generation?: number) => ({
  type: 'Ready',
  status,
  reason,
  message,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  ...(generation !== undefined ? { observedGeneration: generation } : {}),
});

/** The controller's part: once the annotation appears, echo it and report `outcome` (after `delayMs`). */
function playController(ns: string, name: string, outcome: (generation: number) => Record<string, unknown>, delayMs = 300): Promise<string> {
  return (async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = await getCluster(ns, name);
      const requested = c.metadata.annotations?.[REQUESTED_AT];
      if (requested) {
        await new Promise((r) => setTimeout(r, delayMs));
        await writeStatus(ns, name, { lastHandledReconcileAt: requested, observedGeneration: c.metadata.generation, ...outcome(c.metadata.generation ?? 1) });
        return requested;
      }
      if (Date.now() > deadline) throw new Error('the annotation never appeared');
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}

describe('kure reconcile cluster', () => {
  it('sets reconcile.fluxcd.io/requestedAt to now (RFC 3339, as flux does) and exits 0 without waiting', async () => {
    const ns = await createTestNamespace('rc', kc);
    await createCluster(ns, 'prod');
    const t = capture();
    const before = Date.now();
    expect(await runReconcile(['cluster', 'prod', '-n', ns], t.io, { kubeConfig: kc })).toBe(0);
    const value = (await getCluster(ns, 'prod')).metadata.annotations?.[REQUESTED_AT];
    expect(value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(Date.parse(value!)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(value!)).toBeLessThanOrEqual(Date.now());
    expect(t.out).toEqual([`KureCluster ${ns}/prod: reconcile requested (${REQUESTED_AT}=${value})`]);
    expect(t.err).toEqual([]);
  });

  it('--wait: ignores the Ready of an earlier request, waits for the echo of its own, then prints the commit', async () => {
    const ns = await createTestNamespace('rc', kc);
    await createCluster(ns, 'prod');
    // Ready from an earlier reconcile: must not end the wait.
    await writeStatus(ns, 'prod', { lastHandledReconcileAt: '2026-01-01T00:00:00Z', observedGeneration: 1, conditions: [ready('True', 'Committed', 'old', 1)], lastCommit: { sha: 'old0000', time: '2026-01-01T00:00:00Z', message: 'old' } });
    const sha = 'c0ffee1234567890c0ffee1234567890c0ffee12';
    const controller = playController(ns, 'prod', (g) => ({ conditions: [ready('True', 'Committed', `pushed ${sha.slice(0, 7)}`, g)], lastCommit: { sha, time: new Date().toISOString(), message: 'kure: prod' } }), 800);
    const t = capture();
    const started = Date.now();
    const code = await runReconcile(['cluster', 'prod', '--namespace', ns, '--wait', '--timeout', '20s'], t.io, { kubeConfig: kc, pollMs: 100 });
    const requested = await controller;
    expect({ code, err: t.err }).toEqual({ code: 0, err: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(800); // it did wait for the echo
    expect(t.out[0]).toBe(`KureCluster ${ns}/prod: reconcile requested (${REQUESTED_AT}=${requested})`);
    expect(t.out).toContain(`commit ${sha}`);
    expect(t.out.join('\n')).not.toContain('old0000');
  });

  it('--wait: Ready=False for its request prints the reason and message and exits 1', async () => {
    const ns = await createTestNamespace('rc', kc);
    await createCluster(ns, 'prod');
    const controller = playController(ns, 'prod', (g) => ({ conditions: [ready('False', 'GitError', 'push to https://git.example/fleet.git failed (auth): 403', g)] }));
    const t = capture();
    expect(await runReconcile(['cluster', 'prod', '-n', ns, '-w', '--timeout', '20s'], t.io, { kubeConfig: kc, pollMs: 100 })).toBe(1);
    await controller;
    expect(t.err).toEqual([`kure reconcile: KureCluster ${ns}/prod is not Ready: GitError: push to https://git.example/fleet.git failed (auth): 403`]);
  });

  it('--wait: Stalled=True for its request is a failure too', async () => {
    const ns = await createTestNamespace('rc', kc);
    await createCluster(ns, 'prod');
    const controller = playController(ns, 'prod', (g) => ({
      conditions: [ready('False', 'InvalidSpec', 'spec.repository.url: not a URL', g), { ...ready('True', 'InvalidSpec', 'spec.repository.url: not a URL', g), type: 'Stalled' }],
    }));
    const t = capture();
    expect(await runReconcile(['cluster', 'prod', '-n', ns, '--wait'], t.io, { kubeConfig: kc, pollMs: 100 })).toBe(1);
    await controller;
    expect(t.err.join('\n')).toMatch(/is stalled: InvalidSpec: spec.repository.url: not a URL/);
  });

  it('--wait with no controller: exits 1 at the timeout, saying the request was not handled', async () => {
    const ns = await createTestNamespace('rc', kc);
    await createCluster(ns, 'prod');
    const t = capture();
    const started = Date.now();
    expect(await runReconcile(['cluster', 'prod', '-n', ns, '--wait', '--timeout', '1500ms'], t.io, { kubeConfig: kc, pollMs: 100 })).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(t.err.join('\n')).toMatch(/timed out after 1500ms waiting for KureCluster .*\/prod: status.lastHandledReconcileAt is not set, not ".*": is the controller running and watching namespace/);
  });

  it('a missing or suspended cluster: exit 1 with a message naming it, nothing annotated', async () => {
    const ns = await createTestNamespace('rc', kc);
    let t = capture();
    expect(await runReconcile(['cluster', 'nope', '-n', ns], t.io, { kubeConfig: kc })).toBe(1);
    expect(t.err).toEqual([`kure reconcile: KureCluster ${ns}/nope not found`]);
    await createCluster(ns, 'paused', { suspend: true });
    t = capture();
    expect(await runReconcile(['cluster', 'paused', '-n', ns, '--wait'], t.io, { kubeConfig: kc })).toBe(1);
    expect(t.err).toEqual([`kure reconcile: KureCluster ${ns}/paused is suspended (spec.suspend: true): resume it first`]);
    expect((await getCluster(ns, 'paused')).metadata.annotations?.[REQUESTED_AT]).toBeUndefined();
  });

  it('the namespace defaults to the kubeconfig context', async () => {
    const ns = await createTestNamespace('rc', kc);
    await createCluster(ns, 'prod');
    const ctx = kc.getCurrentContext();
    const withNs = kubeConfigFromFile(cp.kubeconfigPath);
    withNs.contexts = withNs.contexts.map((c) => (c.name === ctx ? { ...c, namespace: ns } : c));
    const t = capture();
    expect(await runReconcile(['cluster', 'prod'], t.io, { kubeConfig: withNs })).toBe(0);
    expect((await getCluster(ns, 'prod')).metadata.annotations?.[REQUESTED_AT]).toBeDefined();
  });

  it('the compiled `kure reconcile` (dispatch from main, --kubeconfig) annotates and exits at once', async () => {
    const ns = await createTestNamespace('rc', kc);
    await createCluster(ns, 'prod');
    const mainJs = await cli;
    const started = Date.now();
    const child = spawn(process.execPath, [mainJs, 'reconcile', 'cluster', 'prod', '-n', ns, '--kubeconfig', cp.kubeconfigPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
    const value = (await getCluster(ns, 'prod')).metadata.annotations?.[REQUESTED_AT];
    expect(out).toBe(`KureCluster ${ns}/prod: reconcile requested (${REQUESTED_AT}=${value})\n`);
  }, 180_000);
});

describe('kure reconcile: arguments', () => {
  const run = async (argv: string[]) => {
    const t = capture();
    const code = await kureMain(['reconcile', ...argv], t.io);
    return { code, out: t.out.join('\n'), err: t.err.join('\n') };
  };
  it.each([
    [[], /what to reconcile is missing/],
    [['bundle', 'web'], /cannot reconcile "bundle": only "cluster"/],
    [['cluster'], /the KureCluster name is missing/],
    [['cluster', 'a', 'b'], /unexpected argument "b"/],
    [['cluster', 'a', '--timeout', 'soon'], /--timeout: invalid duration "soon"/],
    [['cluster', 'a', '--bogus'], /Unknown option '--bogus'/],
  ])('%j: usage error, exit 2', async (argv, re) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err).toContain('Usage: kure reconcile cluster NAME');
  });
  it('--help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--wait');
  });
  it('an unreadable kubeconfig: exit 1', async () => {
    const file = path.join(tmp, 'kubeconfig');
    writeFileSync(file, 'not: [a kubeconfig');
    const r = await run(['cluster', 'a', '--kubeconfig', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^kure reconcile: cannot load the kubeconfig/);
  });
  it('rfc3339Nano writes what Go writes: no trailing zeros, none at all on a whole second', () => {
    expect(rfc3339Nano(new Date('2026-12-02T04:41:02.590Z'))).toBe('2026-12-02T04:41:02.59Z');
    expect(rfc3339Nano(new Date('2026-12-02T04:41:02.123Z'))).toBe('2026-12-02T04:41:02.123Z');
    expect(rfc3339Nano(new Date('2026-12-02T04:41:02.000Z'))).toBe('2026-12-02T04:41:02Z');
  });
});
