// The Applied condition when Flux runs in another cluster: a second control plane is the "engine
// cluster" (upstream Flux CRDs, no controllers), its admin kubeconfig sits in a labelled Secret that
// the KureCluster references (spec.gitops.kubeconfigSecretRef). The test plays Flux there: it creates
// the Kustomization with the labels Kure renders and writes its status through the status subresource.
import { readFileSync } from 'node:fs';
import { ownerLabels } from '../../../src/api/labels.js';
import type { Manager } from '../../../src/controller/manager.js';
import { startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import { FLUX_CRDS } from '../../support/flux.js';
import { applyCrdsFromDir, kubeConfigFromFile, kubeRequest, serverSideApply } from '../../support/kube.js';
import type { GitServer } from '../../support/git-server.js';
import { applyAll, createGitSecret, getKure, installCrds, newNamespace, smallCluster, startGit, startTestManager, waitFor, waitReady } from './harness.js';

let git: GitServer;
let engine: ControlPlane;
const managers: Manager[] = [];

beforeAll(async () => {
  await installCrds();
  git = await startGit();
  engine = await startControlPlane();
  await applyCrdsFromDir(FLUX_CRDS, { kc: kubeConfigFromFile(engine.kubeconfigPath) });
}, 300_000);
afterAll(async () => {
  for (const m of managers) await m.stop();
  await git?.stop();
  await engine?.stop();
});

const applied = async (ns: string, name: string) => (await getKure('KureBundle', ns, name))?.status?.conditions?.find((c) => c.type === 'Applied');

describe('Applied from an engine in another cluster (spec.gitops.kubeconfigSecretRef)', () => {
  it('reads the remote Kustomization, and reports a bad kubeconfig by its Secret only', async () => {
    const ns = await newNamespace('remote');
    const ekc = kubeConfigFromFile(engine.kubeconfigPath);
    const kubeconfig = readFileSync(engine.kubeconfigPath, 'utf8');
    git.createRepo('remote');
    await createGitSecret(ns);
    await createGitSecret(ns, 'engine-kubeconfig', { value: kubeconfig });
    const objs = smallCluster(ns, git.url('remote'));
    (objs[0]!.spec as { gitops: Record<string, unknown> }).gitops.kubeconfigSecretRef = { name: 'engine-kubeconfig' };
    await applyAll(objs);
    managers.push(await startTestManager([ns]));
    await waitReady('KureBundle', ns, 'web');
    const commit = await waitFor('bundle commit', async () => (await getKure('KureBundle', ns, 'web'))?.status?.commit as string | undefined);
    // No Kustomization in the engine cluster yet.
    await waitFor('EngineObjectNotFound', async () => (await applied(ns, 'web'))?.reason === 'EngineObjectNotFound');

    await serverSideApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system' } }, { kc: ekc });
    await serverSideApply(
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'web', namespace: 'flux-system', labels: ownerLabels({ cluster: { namespace: ns, name: 'prod' }, bundle: { namespace: ns, name: 'web' } }) },
        spec: { interval: '1m', path: './clusters/prod', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
      },
      { kc: ekc },
    );
    const setStatus = (status: Record<string, unknown>) =>
      kubeRequest('PATCH', '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/web/status', { status }, { contentType: 'application/merge-patch+json', kc: ekc });
    const now = new Date().toISOString();
    await setStatus({
      observedGeneration: 1,
      lastAppliedRevision: `main@sha1:${commit}`,
      conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: main@sha1:${commit}`, lastTransitionTime: now }],
    });
    const ok = await waitFor('Applied=True', async () => {
      const c = await applied(ns, 'web');
      return c?.status === 'True' && c;
    });
    expect(ok.reason).toBe('Applied');

    await setStatus({
      conditions: [{ type: 'Ready', status: 'False', reason: 'HealthCheckFailed', message: 'health check failed after 30s', lastTransitionTime: new Date().toISOString() }],
    });
    const failed = await waitFor('Applied=False', async () => {
      const c = await applied(ns, 'web');
      return c?.status === 'False' && c;
    });
    expect(failed.reason).toBe('HealthCheckFailed');
    expect(failed.message).toContain('health check failed after 30s');

    // The Secret changes to an unreachable server: the watch is replaced, Unknown naming the Secret.
    await createGitSecret(ns, 'engine-kubeconfig', { value: kubeconfig.replace(engine.server, 'https://127.0.0.1:1') });
    const unreachable = await waitFor('Applied=Unknown (unreachable)', async () => {
      const c = await applied(ns, 'web');
      return c?.status === 'Unknown' && c;
    });
    expect(unreachable.reason).toBe('EngineUnreadable');
    expect(unreachable.message).toContain(`kubeconfig Secret ${ns}/engine-kubeconfig`);
    expect(unreachable.message).not.toContain('127.0.0.1');

    // Back to the engine cluster: Applied again from the new watch.
    await createGitSecret(ns, 'engine-kubeconfig', { value: kubeconfig });
    await waitFor('Applied=False again', async () => (await applied(ns, 'web'))?.reason === 'HealthCheckFailed');

    // A bad kubeconfig: Unknown, naming the Secret, never its content.
    const bad = 'apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: t0ken-must-not-leak}}]\nclusters: [unclosed';
    await createGitSecret(ns, 'engine-kubeconfig', { value: bad });
    const unknown = await waitFor('Applied=Unknown', async () => {
      const c = await applied(ns, 'web');
      return c?.status === 'Unknown' && c;
    });
    expect(unknown.reason).toBe('EngineUnreadable');
    expect(unknown.message).toContain(`Secret ${ns}/engine-kubeconfig`);

    const { body: events } = await kubeRequest<{ items: unknown[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
    const statuses = await Promise.all(['KureCluster/prod', 'KureNode/apps', 'KureBundle/web'].map((k) => getKure(k.split('/')[0]!, ns, k.split('/')[1]!)));
    const all = JSON.stringify(events.items) + JSON.stringify(statuses.map((o) => o?.status));
    const key = /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    for (const leak of [key, 't0ken-must-not-leak', Buffer.from(kubeconfig).toString('base64').slice(0, 40)]) {
      expect({ leak, found: !!leak && all.includes(leak) }).toEqual({ leak, found: false });
    }
  });
});
