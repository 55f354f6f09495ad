// The chart installed for real: `helm install` on a real single-node cluster (test/support/real-node.ts:
// kubelet, kube-controller-manager, kube-scheduler and kube-proxy beside the test API server, containerd
// and runc), the image (scripts/build-image.sh) imported into containerd, `kubectl rollout status` of the
// controller Deployment; the Pod runs as the chart says, reaches the API server through the kubernetes
// Service (in-cluster config, kube-proxy) and reconciles the examples into a real Git server.
//
// Skipped with a message where a real node cannot run (not root, no containerd...) or is not built; in
// CI (CI=true) or with KURE_TEST_REQUIRE_CONTAINERS=1 that fails instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { KureResource } from '../../src/api/schema.js';
import { readResources } from '../../src/cli/read.js';
import { CONTAINERS_REQUIRED } from '../support/container-engine.js';
import { REPO_ROOT } from '../support/control-plane.js';
import { gitCli, startGitServer, type GitServer } from '../support/git-server.js';
import { CHART_DIR, findHelm, helm } from '../support/helm.js';
import { KUBE_NODE, NODE_CACHE, NODE_NAME, realNodeUnsupported, startRealNode, type RealNode } from '../support/real-node.js';

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = process.env.KURE_TEST_IMAGE ?? `localhost/kure:${VERSION}`;
const RELEASE = 'kure';
const RELEASE_NS = 'kure-system';
const GIT_USER = 'kure';
const GIT_PASSWORD = 'real-node-test-pw';

function prerequisite(): string | undefined {
  const unsupported = realNodeUnsupported();
  if (unsupported) return unsupported;
  if (!existsSync(KUBE_NODE) || !existsSync(path.join(NODE_CACHE, 'pause.tar'))) return 'kube-node is not built (scripts/build-node.sh)';
  if (!findHelm()) return 'no helm (scripts/build-helm.sh)';
  if (spawnSync('podman', ['image', 'exists', IMAGE]).status !== 0) return `the image ${IMAGE} is not built (scripts/build-image.sh)`;
  return undefined;
}
const missing = prerequisite();
if (missing && !CONTAINERS_REQUIRED) process.stderr.write(`\nreal-node tests skipped: ${missing}\n`);
const suite = !missing || CONTAINERS_REQUIRED ? describe : describe.skip;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

suite('helm install on a real node', () => {
  let node: RealNode;
  let git: GitServer;
  let dir: string;
  const log = (l: string) => process.stderr.write(`real-node: ${l}\n`);
  const getJSON = async (args: string[]): Promise<Obj> => JSON.parse(await node.kubectl(['get', ...args, '-o', 'json'])) as Obj;
  const tree = (prefix: string) =>
    gitCli(['--git-dir', git.gitdir('fleet'), 'ls-tree', '-r', '--name-only', 'main', '--', prefix]).split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    if (missing) throw new Error(`the real-node test cannot run: ${missing} (CI must provide it)`);
    dir = mkdtempSync(path.join(tmpdir(), 'kure-real-node-test-'));
    // helm's discovery cache (~/.kube/cache by default) goes with the test's directory.
    process.env.KUBECACHEDIR = path.join(dir, 'kube-cache');
    node = await startRealNode({ log });
    let t = performance.now();
    await node.importFromPodman(IMAGE);
    log(`image import: ${Math.round(performance.now() - t)} ms`);

    // The examples, pointed at a Git server on the host IP (what a Pod reaches), with their Secrets.
    git = await startGitServer({ username: GIT_USER, password: GIT_PASSWORD, host: node.hostIP });
    git.createRepo('fleet');
    const { resources, errors } = readResources([path.join(REPO_ROOT, 'examples')], () => '');
    expect(errors).toEqual([]);
    const namespaces = [...new Set((resources as KureResource[]).map((r) => r.metadata.namespace!))];
    const items: Obj[] = namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    for (const r of resources as KureResource[]) {
      if (r.kind === 'KureCluster') {
        r.spec.repository.url = git.url('fleet');
        const secret = r.spec.repository.secretRef?.name;
        if (secret) items.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace: r.metadata.namespace, labels: { 'kure.dev/credentials': 'true' } }, stringData: { username: GIT_USER, password: GIT_PASSWORD } });
      }
    }

    // helm install, for real: CRDs from crds/, the release's objects, our image from containerd's store.
    t = performance.now();
    const values = path.join(dir, 'values.json');
    const colon = IMAGE.lastIndexOf(':');
    writeFileSync(values, JSON.stringify({ image: { repository: IMAGE.slice(0, colon), tag: IMAGE.slice(colon + 1), pullPolicy: 'Never' }, replicaCount: 1 }));
    const r = await helm(['install', RELEASE, CHART_DIR, '--namespace', RELEASE_NS, '--create-namespace', '-f', values, '--kubeconfig', node.kubeconfigPath]);
    if (r.code !== 0) throw new Error(`helm install: exit ${r.code}\n${r.stderr}`);
    log(`helm install: ${Math.round(performance.now() - t)} ms`);
    await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...items, ...(resources as unknown as Obj[])] }) });
  }, 900_000);

  afterAll(async () => {
    await node?.stop();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    delete process.env.KUBECACHEDIR;
  }, 180_000);

  it('kubectl rollout status: the controller Deployment rolls out on the node', async () => {
    const t = performance.now();
    const out = await node.kubectl(['rollout', 'status', `deployment/${RELEASE}`, '-n', RELEASE_NS, '--timeout=240s'], { timeoutMs: 250_000 });
    log(`rollout status: ${Math.round(performance.now() - t)} ms`);
    expect(out).toMatch(/successfully rolled out/);

    const pods = (await getJSON(['pods', '-n', RELEASE_NS, '-l', 'app.kubernetes.io/name=kure'])).items as Obj[];
    expect(pods).toHaveLength(1);
    const pod = pods[0]!;
    expect(pod.spec.nodeName).toBe(NODE_NAME);
    expect(pod.status.podIP).toMatch(/^10\.244\.0\.\d+$/);
    const [status] = pod.status.containerStatuses as Obj[];
    expect(status).toMatchObject({ ready: true, image: IMAGE, restartCount: 0 });
    // The chart's security context, enforced by the runtime: user 65532, read-only root filesystem.
    const exec = (cmd: string[]) => node.kubectl(['exec', '-n', RELEASE_NS, pod.metadata.name, '--', ...cmd]);
    await expect(node.kubectl(['exec', '-n', RELEASE_NS, pod.metadata.name, '--', 'id', '-u'])).resolves.toBe('65532\n');
    await expect(exec(['node', '-e', 'require("fs").writeFileSync("/probe", "x")'])).rejects.toThrow(/EROFS|read-only/);
  });

  it('reaches the API server through the kubernetes Service and reconciles the examples into the Git server', async () => {
    const kubernetes = await getJSON(['service', 'kubernetes', '-n', 'default']);
    const pod = ((await getJSON(['pods', '-n', RELEASE_NS, '-l', 'app.kubernetes.io/name=kure'])).items as Obj[])[0]!;
    const env = await node.kubectl(['exec', '-n', RELEASE_NS, pod.metadata.name, '--', 'node', '-p', 'process.env.KUBERNETES_SERVICE_HOST']);
    expect(env.trim()).toBe(kubernetes.spec.clusterIP);

    const deadline = Date.now() + 120_000;
    const notReady = async () => {
      const list = (await getJSON(['kureclusters', '-A'])).items as Obj[];
      return list.filter((c) => !(c.status?.conditions ?? []).some((x: Obj) => x.type === 'Ready' && x.status === 'True')).map((c) => c.metadata.name as string);
    };
    let pending = await notReady();
    while (pending.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      pending = await notReady();
    }
    expect(pending).toEqual([]);
    // The same tree as `kure render` of the examples (the golden files).
    for (const c of ['production', 'staging']) {
      const golden = gitCli(['ls-files', '--', `test/golden/platform/clusters/${c}`], { cwd: REPO_ROOT })
        .split('\n')
        .filter(Boolean)
        .map((f) => f.replace('test/golden/platform/', ''))
        .sort();
      expect(golden.length).toBeGreaterThan(0);
      expect(tree(`clusters/${c}`)).toEqual(golden);
    }
  }, 150_000);
});
