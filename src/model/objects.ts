// Identities of the Kubernetes objects an application will produce, for the duplicate check:
// two objects with the same apiVersion/kind/namespace/name in one cluster would be owned twice.
import type { ApplicationModel } from './types.js';

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** Field of the KureApplication that produces the object. */
  field: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What the application's objects will be called once applied (namespace: own, else the bundle's target). */
export function objectIdentities(app: ApplicationModel, targetNamespace: string | undefined): ObjectIdentity[] {
  const ns = (explicit: string) => explicit || targetNamespace || '';
  const content = app.content;
  switch (content.type) {
    case 'manifests':
      return content.manifests.map((m, i) => {
        const meta = (m.metadata ?? {}) as Record<string, unknown>;
        return {
          apiVersion: str(m.apiVersion),
          kind: str(m.kind),
          namespace: ns(str(meta.namespace)),
          name: str(meta.name),
          field: `spec.manifests[${i}]`,
        };
      });
    case 'workload': {
      const w = content.workload;
      const id = (apiVersion: string, kind: string) => ({ apiVersion, kind, namespace: ns(''), name: app.name, field: 'spec.workload' });
      return [
        id('apps/v1', 'Deployment'),
        ...(w.service || w.ports?.length ? [id('v1', 'Service')] : []),
        ...(w.ingress ? [id('networking.k8s.io/v1', 'Ingress')] : []),
      ];
    }
    case 'helm':
      // A Helm release is identified by its name in its target namespace.
      return [
        {
          apiVersion: 'helm/release',
          kind: 'HelmRelease',
          namespace: content.helm.namespace ?? targetNamespace ?? '',
          name: content.helm.releaseName ?? app.name,
          field: 'spec.helm.releaseName',
        },
      ];
  }
}
