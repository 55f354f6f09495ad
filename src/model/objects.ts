// Identities of the Kubernetes objects an application will produce, for the duplicate check:
// two objects with the same apiVersion/kind/namespace/name in one cluster would be owned twice.
import type { ApplicationModel, ClusterModel } from './types.js';

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** Field of the KureApplication that produces the object. */
  field: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * What the application's objects will be called once applied. Flux's targetNamespace overrides every
 * namespace; Argo CD's destination namespace only fills in missing ones.
 */
export function objectIdentities(app: ApplicationModel, targetNamespace: string | undefined, cluster: Pick<ClusterModel, 'engine' | 'flux'>): ObjectIdentity[] {
  const flux = cluster.engine === 'flux';
  const ns = (explicit: string) => (flux ? targetNamespace || explicit : explicit || targetNamespace) || '';
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
      const id = (apiVersion: string, kind: string) => ({ apiVersion, kind, namespace: ns(app.tenantNamespace ?? ''), name: app.name, field: 'spec.workload' });
      return [
        id('apps/v1', 'Deployment'),
        ...(w.service || w.ports?.length ? [id('v1', 'Service')] : []),
        ...(w.ingress ? [id('networking.k8s.io/v1', 'Ingress')] : []),
      ];
    }
    case 'helm':
      // Flux: a HelmRelease named after the release in the Flux namespace (moved by targetNamespace).
      // Argo CD: the release in its target namespace.
      return [
        {
          apiVersion: flux ? 'helm.toolkit.fluxcd.io/v2' : 'helm/release',
          kind: 'HelmRelease',
          namespace: flux ? targetNamespace || cluster.flux.namespace : content.helm.namespace || targetNamespace || '',
          name: content.helm.releaseName ?? app.name,
          field: 'spec.helm.releaseName',
        },
      ];
  }
}
