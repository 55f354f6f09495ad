// The credentials label and what the Secret cache keeps of a Secret.
import { CREDENTIALS_SELECTOR, isCredentialsSecret, secretForCache } from '../../../src/controller/kube.js';

describe('credentials Secrets', () => {
  it('are the Secrets labelled kure.dev/credentials=true, and no others', () => {
    expect(CREDENTIALS_SELECTOR).toBe('kure.dev/credentials=true');
    expect(isCredentialsSecret({ labels: { 'kure.dev/credentials': 'true' } })).toBe(true);
    for (const labels of [undefined, {}, { 'kure.dev/credentials': 'false' }, { 'kure.dev/credentials': 'True' }, { 'kure.dev/other': 'true' }] as (Record<string, string> | undefined)[]) {
      expect(isCredentialsSecret({ labels })).toBe(false);
    }
    expect(isCredentialsSecret(undefined)).toBe(false);
  });

  it('are cached without annotations or managedFields (last-applied-configuration holds the data), with data only when referenced', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'git',
        namespace: 'platform',
        uid: 'u1',
        resourceVersion: '7',
        labels: { 'kure.dev/credentials': 'true' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"password":"hunter2"}}' },
        managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      },
      data: { password: Buffer.from('hunter2').toString('base64') },
    };
    const metadata = { name: 'git', namespace: 'platform', uid: 'u1', resourceVersion: '7', labels: { 'kure.dev/credentials': 'true' } };
    expect(secretForCache(secret, false)).toEqual({ metadata });
    expect(secretForCache(secret, true)).toEqual({ metadata, type: 'Opaque', data: secret.data });
    expect(JSON.stringify(secretForCache(secret, false))).not.toMatch(/hunter2|aHVudGVyMg/);
  });
});
