import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import type { KureResource } from '../../../src/api/schema.js';
import { AppliedWatch, kubeconfigOfSecret, kubeconfigRefOf, loadKubeconfig } from '../../../src/controller/applied-watch.js';
import { FleetIndex } from '../../../src/model/fleet-index.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: engine, cluster: {server: 'https://127.0.0.1:1'}}]
users: [{name: u, user: {token: not-a-real-token-xyz}}]
contexts: [{name: c, context: {cluster: engine, user: u}}]
current-context: c
`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (data: Record<string, string>, rv = '1'): V1Secret => ({ metadata: { name: 'engine', namespace: 'team', resourceVersion: rv }, data });

const cluster = (ref?: { name: string; key?: string }, name = 'c1'): KureResource =>
  ({
    apiVersion: 'kure.dev/v1alpha1',
    kind: 'KureCluster',
    metadata: { name, namespace: 'team', generation: 1 },
    spec: { gitops: { engine: 'flux', ...(ref ? { kubeconfigSecretRef: ref } : {}) }, repository: { url: 'https://git.example/r' } },
  }) as unknown as KureResource;

describe('kubeconfigSecretRef', () => {
  it('reads the reference of a cluster', () => {
    expect(kubeconfigRefOf(cluster())).toBeUndefined();
    expect(kubeconfigRefOf(cluster({ name: 'engine' }))).toEqual({ secret: 'team/engine', namespace: 'team', name: 'engine' });
    expect(kubeconfigRefOf(cluster({ name: 'engine', key: 'cfg' }))?.key).toBe('cfg');
  });

  it('takes the key, else value, else kubeconfig', () => {
    expect(kubeconfigOfSecret('Secret team/engine', secret({ value: b64('A'), kubeconfig: b64('B') }))).toEqual({ text: 'A' });
    expect(kubeconfigOfSecret('Secret team/engine', secret({ kubeconfig: b64('B') }))).toEqual({ text: 'B' });
    expect(kubeconfigOfSecret('Secret team/engine', secret({ cfg: b64('C') }), 'cfg')).toEqual({ text: 'C' });
    expect(kubeconfigOfSecret('Secret team/engine', secret({ value: b64('A') }), 'cfg')).toEqual({ error: expect.stringContaining('has no key cfg') });
    expect(kubeconfigOfSecret('Secret team/engine', undefined)).toEqual({ error: expect.stringContaining('kure.dev/credentials=true') });
  });

  it('loads a kubeconfig in memory, and names no content when it cannot', () => {
    const ok = loadKubeconfig('Secret team/engine', KUBECONFIG);
    expect('kc' in ok && ok.kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:1');
    const bad = loadKubeconfig('Secret team/engine', 'secret-token-abc: [unclosed');
    expect(bad).toEqual({ error: expect.stringContaining('Secret team/engine') });
    expect(JSON.stringify(bad)).not.toContain('secret-token-abc');
    const exec = KUBECONFIG.replace('{token: not-a-real-token-xyz}', '{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, id]}}');
    expect(loadKubeconfig('Secret team/engine', exec)).toEqual({ error: expect.stringContaining('uses exec') });
    const file = KUBECONFIG.replace('{token: not-a-real-token-xyz}', '{client-certificate: /etc/passwd, client-key: /etc/passwd}');
    expect(loadKubeconfig('Secret team/engine', file)).toEqual({ error: expect.stringContaining('client-certificate, client-key') });
  });
});

describe('AppliedWatch remote engine clusters', () => {
  const setup = (secrets: Map<string, V1Secret>) => {
    const index = new FleetIndex();
    const objects = new Map<string, KureResource>();
    const cache = {
      get: (kind: string, ns: string, name: string) => objects.get(`${kind}/${ns}/${name}`),
      index,
    };
    const put = (r: KureResource) => {
      objects.set(`${r.kind}/${r.metadata.namespace}/${r.metadata.name}`, r);
      index.upsert(r);
    };
    const del = (r: KureResource) => {
      objects.delete(`${r.kind}/${r.metadata.namespace}/${r.metadata.name}`);
      index.delete(r);
    };
    const watches: string[] = [];
    const w = new AppliedWatch({
      kubeConfig: (loadKubeconfig('local', KUBECONFIG) as { kc: KubeConfig }).kc,
      watch: () => new Promise(() => {}),
      cache: cache as never,
      statuses: { enqueueSide: () => {} },
      logger: { warn: () => {}, info: () => {}, debug: () => {}, error: () => {}, child: () => ({}) } as never,
      watchTimeoutSeconds: 60,
      active: () => false,
      secrets: { secret: (ns, name) => secrets.get(`${ns}/${name}`) },
      remoteWatch: (kc) => {
        watches.push(kc.getCurrentCluster()!.server);
        return () => new Promise(() => {});
      },
    });
    const remotes = () => (w as unknown as { remotes: Map<string, { target?: unknown; error?: string }> }).remotes;
    return { w, put, del, watches, remotes, index };
  };

  it('makes one watch per distinct Secret, replaces it when the Secret changes, stops it when unreferenced', () => {
    const secrets = new Map([['team/engine', secret({ value: b64(KUBECONFIG) })]]);
    const { w, put, del, watches, remotes, index } = setup(secrets);
    const c1 = cluster({ name: 'engine' });
    const c2 = cluster({ name: 'engine' }, 'c2');
    put(c1);
    w.onBundle('add', c1);
    put(c2);
    w.onBundle('add', c2);
    expect(watches).toHaveLength(1);
    expect(index.clustersReferencingSecret('team', 'engine').sort()).toEqual(['team/c1', 'team/c2']);
    const first = remotes().get('team/engine')?.target;
    expect(first).toBeDefined();

    w.onSecret(); // unchanged content: the same watch
    expect(remotes().get('team/engine')?.target).toBe(first);

    secrets.set('team/engine', secret({ value: b64(KUBECONFIG.replace('127.0.0.1:1', '127.0.0.1:2')) }, '2'));
    w.onSecret();
    expect(watches).toEqual(['https://127.0.0.1:1', 'https://127.0.0.1:2']);
    expect(remotes().get('team/engine')?.target).not.toBe(first);

    secrets.set('team/engine', secret({ value: b64('not: [a kubeconfig') }, '3'));
    w.onSecret();
    expect(remotes().get('team/engine')?.error).toMatch(/Secret team\/engine/);

    del(c1);
    w.onBundle('delete', c1);
    expect(remotes().size).toBe(1);
    del(c2);
    w.onBundle('delete', c2);
    expect(remotes().size).toBe(0);
  });
});
