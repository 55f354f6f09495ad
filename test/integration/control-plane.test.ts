// The test API server itself: the real kube-apiserver, reporting the version it was built from.
import { LOCAL_VERSION_ENV } from '../support/control-plane.js';
import { createTestNamespace, kubeRequest, loadTestKubeConfig } from '../support/kube.js';

interface Version {
  gitVersion: string;
  major: string;
  minor: string;
}

describe('test control plane', () => {
  it('is ready and reports the stamped Kubernetes version', async () => {
    expect((await kubeRequest<string>('GET', '/readyz')).body).toBe('ok');
    const { body } = await kubeRequest<Version>('GET', '/version');
    const local = process.env[LOCAL_VERSION_ENV];
    if (local) {
      // Our own binary: exactly the k8s.io/kubernetes version of test/control-plane/go.mod, never v0.0.0-master.
      expect(body.gitVersion).toBe(local);
      const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(local) ?? [];
      expect(body).toMatchObject({ major, minor });
    } else {
      expect(body.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    }
  });

  it('authenticates the kubeconfig user as a cluster admin', async () => {
    expect(loadTestKubeConfig().getCurrentCluster()?.server).toMatch(/^https:\/\//);
    const { body } = await kubeRequest<{ status: { allowed: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: '*', resource: '*', group: '*' } } },
    );
    expect(body.status.allowed).toBe(true);
  });

  it('creates namespaces and objects in them', async () => {
    const ns = await createTestNamespace();
    expect(ns).toMatch(/^kt-control-plane-[a-z0-9]+$/);
    const { body } = await kubeRequest<{ metadata: { name: string; namespace: string } }>('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'hello' },
      data: { greeting: 'hi' },
    });
    expect(body.metadata).toMatchObject({ name: 'hello', namespace: ns });
    const list = await kubeRequest<{ items: unknown[] }>('GET', `/api/v1/namespaces/${ns}/configmaps`);
    expect(list.body.items).toHaveLength(1);
  });
});
