import { jest } from '@jest/globals';
// The API server restarted under a running controller, for real: a control plane of this file's own
// (not the shared one of global setup, which other files use), started on a --data-dir so that it
// comes back with the same etcd data, certificates and port. The controller runs in-process with
// leader election on; the API server is killed (SIGKILL: a crash, then SIGTERM: a graceful stop),
// stays down for a few seconds, starts again, and the next change must still reach Git.
import type { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KureResource } from '../../../src/api/schema.js';
import type { Manager } from '../../../src/controller/manager.js';
import { CACHE_DIR, REPO_ROOT, startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import type { GitServer } from '../../support/git-server.js';
import { applyCrdsFromDir, createTestNamespace, kubeConfigFromFile, kubeRequest, serverSideApply } from '../../support/kube.js';
import { API, GIT_PASSWORD, GIT_USER, changedFiles, commitCount, configMapApp, show, smallCluster, startGit, startTestManager, waitFor } from './harness.js';

jest.setTimeout(240_000);

let cp: ControlPlane | undefined;
let kc: KubeConfig;
let git: GitServer;
let manager: Manager | undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), 'kure-restart-cp-'));

beforeAll(async () => {
  cp = await startControlPlane({ dataDir, logFile: path.join(CACHE_DIR, 'restart-test-control-plane.log') });
  kc = kubeConfigFromFile(cp.kubeconfigPath);
  await applyCrdsFromDir(path.join(REPO_ROOT, 'crds'), { kc });
  git = await startGit();
});
afterAll(async () => {
  await manager?.stop();
  await cp?.stop();
  await git?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Server-side apply on this file's control plane (status and server-set fields dropped). */
async function applyHere(obj: KureResource | Record<string, unknown>): Promise<void> {
  const clean = structuredClone(obj) as Record<string, unknown> & { metadata: Record<string, unknown> };
  delete clean.status;
  await serverSideApply(clean as never, { kc });
}

async function readyCondition(ns: string, plural: string, name: string) {
  const obj = (await kubeRequest<KureResource>('GET', `/apis/${API}/namespaces/${ns}/${plural}/${name}`, undefined, { kc })).body;
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  return ready && ready.observedGeneration === obj.metadata.generation ? ready : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kure controller across a real API server restart', () => {
  it('goes unready while the API server is down, recovers on the same data and port, and pushes the next change', async () => {
    const ns = await createTestNamespace('kr', kc);
    git.createRepo('restart');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await applyHere({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-auth', namespace: ns, labels: { 'kure.dev/credentials': 'true' } }, data: { username: b64(GIT_USER), password: b64(GIT_PASSWORD) } });
    for (const o of [...smallCluster(ns, git.url('restart')), configMapApp(ns, 'a', 'web', { v: '1' })]) await applyHere(o);

    const m = await startTestManager([ns], {
      kubeConfig: kc,
      informerUnhealthyAfterMs: 1000,
      leaderElect: true,
      leaderElectionNamespace: ns,
      leaderElectionId: 'kure-restart-test',
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
    });
    manager = m;
    const readyz = async () => (await fetch(`http://${m.metricsAddress}/readyz`)).status;
    await waitFor('the first commit', () => commitCount(git, 'restart') === 1, 60_000);
    await waitFor('KureApplication a Ready', () => readyCondition(ns, 'kureapplications', 'a'), 20_000);
    expect(m.isLeader()).toBe(true);
    expect(await readyz()).toBe(200);
    const server = cp!.server;
    const pidBefore = cp!.pid;

    const cases: { signal: 'SIGKILL' | 'SIGTERM'; downMs: number; v: string }[] = [
      { signal: 'SIGKILL', downMs: 5000, v: '2' }, // a crash: connections reset, no goodbye
      { signal: 'SIGTERM', downMs: 2000, v: '3' }, // a graceful stop: 429 + Retry-After, then the watches are cut
    ];
    for (const { signal, downMs, v } of cases) {
      const commitsBefore = commitCount(git, 'restart');
      const downAt = Date.now();
      await cp!.kill(signal);
      const killMs = Date.now() - downAt;
      // Down: nothing changes; /readyz goes 503 once the informers have failed for > 1 s, the leader
      // cannot renew its Lease for 3 s and stops leading; no commit.
      await waitFor(`/readyz 503 with the API server down (${signal})`, async () => (await readyz()) === 503, 10_000);
      if (downMs > 3000) {
        // Down longer than the renew deadline (3 s): the leader steps down (its workers stop) before
        // the Lease (4 s) could expire and another instance take over.
        await waitFor(`leadership given up within the renew deadline (${signal})`, () => !m.isLeader(), Math.max(1, 4000 - (Date.now() - downAt)));
        await waitFor(`no reconcile in flight once leadership is given up (${signal})`, () => m.queue.inFlight() === 0, Math.max(1, 4000 - (Date.now() - downAt)));
        expect(Date.now() - downAt).toBeLessThan(4000);
      }
      const unreadyMs = Date.now() - downAt;
      if (Date.now() - downAt < downMs) await sleep(downMs - (Date.now() - downAt));
      expect(await readyz()).toBe(503);
      expect(commitCount(git, 'restart')).toBe(commitsBefore);
      const leaderWhileDown = m.isLeader();

      const upAt = Date.now();
      await cp!.start();
      const startMs = Date.now() - upAt;
      expect(cp!.server).toBe(server);
      expect(cp!.pid).not.toBe(pidBefore);
      // The data survived: the objects are still there.
      expect(await readyCondition(ns, 'kureclusters', 'prod')).toMatchObject({ status: 'True', reason: 'Rendered' });

      await applyHere(configMapApp(ns, 'a', 'web', { v }));
      const appliedAt = Date.now();
      await waitFor(`the change v=${v} to reach Git after the restart (${signal})`, () => commitCount(git, 'restart') === commitsBefore + 1, 90_000);
      const commitMs = Date.now() - appliedAt;
      expect(changedFiles(git, 'restart').some((f) => show(git, 'restart', f).includes(`v: "${v}"`))).toBe(true);
      await waitFor(`KureApplication a Ready at the new generation (${signal})`, async () => (await readyCondition(ns, 'kureapplications', 'a'))?.status === 'True', 30_000);
      // Every informer watching again. After a restart the API server answers CR lists/watches with
      // 429 "storage is (re)initializing" for a while; the informers back off (up to 30 s) on it.
      await waitFor(`/readyz 200 again (${signal})`, async () => (await readyz()) === 200, 75_000);
      const readyAgainMs = Date.now() - upAt;
      expect(m.isLeader()).toBe(true);
      expect((await kubeRequest<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/kure-restart-test`, undefined, { kc })).body.spec.holderIdentity).toBe(m.identity);
      process.stderr.write(
        `restart (${signal}): process gone in ${killMs} ms, /readyz 503 after ${unreadyMs} ms, leader while down: ${leaderWhileDown}, ` +
          `API server ready ${startMs} ms after start, change → commit ${commitMs} ms, controller /readyz 200 ${readyAgainMs} ms after start\n`,
      );
    }
    const restarts = await m.metrics.informerRestarts.get();
    expect(restarts.values.some((r) => r.labels.reason === 'error' && r.value > 0)).toBe(true);
    // Stopped, nothing is in flight: a late duplicate commit would be in this count.
    await m.stop();
    manager = undefined;
    expect(commitCount(git, 'restart')).toBe(3);
  });
});
