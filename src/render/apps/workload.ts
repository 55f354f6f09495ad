// `workload`: Deployment + Service (when ports or service are given) + Ingress (when ingress is).
// No namespace is set: the bundle's targetNamespace (Flux) or destination namespace (Argo CD) decides;
// except for a tenant's workload in a bundle without targetNamespace, which goes to its own namespace.
import type { ApplicationModel, BundleModel, ClusterModel } from '../../model/types.js';
import { compact, MANAGED_BY, nonEmpty, type KubeObject } from '../objects.js';

export const NAME_LABEL = 'app.kubernetes.io/name';

export function workloadObjects(app: ApplicationModel, _bundle: BundleModel, _cluster: ClusterModel): KubeObject[] {
  if (app.content.type !== 'workload') return [];
  const w = app.content.workload;
  const selector = { [NAME_LABEL]: app.name };
  const labels = () => ({ [NAME_LABEL]: app.name, ...MANAGED_BY });
  const ports = w.ports ?? [];
  const metadata = () => compact({ name: app.name, namespace: app.tenantNamespace, labels: labels() });

  const container = compact({
    name: app.name,
    image: w.image,
    ports: ports.length > 0 ? ports.map((p) => compact({ name: p.name, containerPort: p.containerPort })) : undefined,
    env:
      w.env !== undefined && w.env.length > 0
        ? w.env.map((e) =>
            compact({
              name: e.name,
              value: e.value,
              valueFrom: e.valueFrom && { secretKeyRef: compact({ name: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key, optional: e.valueFrom.secretKeyRef.optional }) },
            }),
          )
        : undefined,
    resources: nonEmpty(
      compact({ requests: nonEmpty(w.resources?.requests), limits: nonEmpty(w.resources?.limits) }),
    ),
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  });
  const out: KubeObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: metadata(),
      spec: {
        replicas: w.replicas ?? 1,
        selector: { matchLabels: { ...selector } },
        template: { metadata: { labels: labels() }, spec: { containers: [container] } },
      },
    },
  ];

  const first = ports[0];
  if (w.service === undefined && first === undefined) {
    if (w.ingress !== undefined) {
      throw new Error(`render: KureApplication ${app.namespace}/${app.name}: workload.ingress needs workload.ports or workload.service`);
    }
    return out;
  }
  // The Service exposes the first container port (by name when it has one).
  const port = w.service?.port ?? (first as { containerPort: number }).containerPort;
  const targetPort = first === undefined ? port : (first.name ?? first.containerPort);
  out.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(),
    spec: {
      selector: { ...selector },
      ports: [compact({ name: first?.name, port, targetPort, protocol: 'TCP' })],
    },
  });

  if (w.ingress !== undefined) {
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: metadata(),
      spec: compact({
        ingressClassName: w.ingress.className,
        rules: [
          {
            host: w.ingress.host,
            http: {
              paths: [
                {
                  path: w.ingress.path ?? '/',
                  pathType: 'Prefix',
                  backend: { service: { name: app.name, port: { number: port } } },
                },
              ],
            },
          },
        ],
      }),
    });
  }
  return out;
}
