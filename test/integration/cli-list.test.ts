// `kure render -f -` reads what the API server and kubectl print for Kure resources that were applied
// to a real API server (status, uid, resourceVersion, managedFields and all), and renders exactly
// what it renders from the files that were applied.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { readTree } from '../../src/cli/write-tree.js';
import { applyCrdsFromDir, createTestNamespace, kubeRequest, serverSideApply, testKubeconfigPath } from '../support/kube.js';

const API = 'kure.dev/v1alpha1';
let ns: string;
let dir: string;
const docs = (namespace: string) => [
  { apiVersion: API, kind: 'KureCluster', metadata: { name: 'prod', namespace }, spec: { gitops: { engine: 'flux' }, repository: { url: 'https://git.example.com/fleet.git' } } },
  { apiVersion: API, kind: 'KureNode', metadata: { name: 'infra', namespace }, spec: { clusterRef: { name: 'prod' } } },
  { apiVersion: API, kind: 'KureBundle', metadata: { name: 'web', namespace }, spec: { nodeRef: { name: 'infra' }, dependsOn: [{ name: 'base' }] } },
  { apiVersion: API, kind: 'KureBundle', metadata: { name: 'base', namespace }, spec: { nodeRef: { name: 'infra' } } },
  { apiVersion: API, kind: 'KureApplication', metadata: { name: 'podinfo', namespace }, spec: { bundleRef: { name: 'web' }, workload: { image: 'ghcr.io/stefanprodan/podinfo:6.7.0', ports: [{ name: 'http', containerPort: 9898 }], service: { port: 80 } } } },
  { apiVersion: API, kind: 'KureApplication', metadata: { name: 'settings', namespace }, spec: { bundleRef: { name: 'base' }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } }] } },
];

async function renderStdin(text: string, out: string): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await main(['render', '-f', '-', '-o', out], { out: () => {}, err: (l) => err.push(l), stdin: () => text });
  return { code, err };
}

let expected: Map<string, string>;
beforeAll(async () => {
  await applyCrdsFromDir(path.resolve('crds'));
  ns = await createTestNamespace('kl');
  dir = mkdtempSync(path.join(tmpdir(), 'kure-cli-list-'));
  for (const d of docs(ns)) await serverSideApply(d);
  const direct = await renderStdin(docs(ns).map((d) => stringify(d)).join('---\n'), path.join(dir, 'direct'));
  expect(direct).toEqual({ code: 0, err: [] });
  expected = readTree(path.join(dir, 'direct'));
  expect(expected.size).toBeGreaterThan(5);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('renders the API server lists (KureClusterList, ...) as it renders the files', async () => {
  const lists: string[] = [];
  for (const plural of ['kureclusters', 'kurenodes', 'kurebundles', 'kureapplications']) {
    const { body } = await kubeRequest<{ kind: string; items: unknown[] }>('GET', `/apis/${API}/namespaces/${ns}/${plural}`);
    expect(body.items.length).toBeGreaterThan(0);
    lists.push(JSON.stringify(body)); // JSON is YAML: what `kubectl get --raw` prints
  }
  const r = await renderStdin(lists.join('\n---\n'), path.join(dir, 'lists'));
  expect(r).toEqual({ code: 0, err: [] });
  expect(readTree(path.join(dir, 'lists'))).toEqual(expected);
});

const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!kubectl) process.stderr.write('cli-list.test.ts: no kubectl on this machine: the kubectl get -o yaml case is skipped\n');

(kubectl ? it : it.skip)('renders what kubectl get kure -o yaml prints (a v1 List), from stdin', async () => {
  const text = execFileSync('kubectl', ['--kubeconfig', testKubeconfigPath(), 'get', 'kure', '-n', ns, '-o', 'yaml'], { encoding: 'utf8' });
  expect(text).toMatch(/^apiVersion: v1\n/);
  expect(text).toMatch(/\nkind: List\n/);
  expect(text).toContain('resourceVersion');
  const r = await renderStdin(text, path.join(dir, 'kubectl'));
  expect(r).toEqual({ code: 0, err: [] });
  expect(readTree(path.join(dir, 'kubectl'))).toEqual(expected);
});
