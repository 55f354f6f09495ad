// The single source of truth for Kure's resources: TypeBox schemas give both the TypeScript types
// (Static<...>) and the CRDs' openAPIV3Schema (see crd.ts). CEL rules ride along as
// `x-kubernetes-validations` so that the API server rejects what can be rejected statically.
import { Type, type Static, type TSchema, type ObjectOptions } from '@sinclair/typebox';

export const GROUP = 'kure.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** DNS-1123 label: what every name that becomes a path segment or object name must be. */
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Flux/Go duration syntax, as in the upstream Kustomization CRD. */
export const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** A relative path (no leading '/'); RE2 has no lookahead, so '..' segments are a CEL rule (RelativePath). */
export const RELATIVE_PATH = '^[A-Za-z0-9._-][A-Za-z0-9._/-]*$';

const cel = (rules: { rule: string; message: string }[]) => ({ 'x-kubernetes-validations': rules });
const obj = <T extends Record<string, TSchema>>(props: T, options: ObjectOptions = {}) => Type.Object(props, options);
const opt = Type.Optional;

/** A path inside a repository or artifact: relative, and no '..' segment can lead out of it. */
const RelativePath = () =>
  Type.String({
    pattern: RELATIVE_PATH,
    maxLength: 512,
    ...cel([{ rule: "!self.matches('(^|/)[.][.](/|$)')", message: 'must not contain a .. segment' }]),
  });

export const Name = Type.String({ pattern: DNS1123_LABEL, minLength: 1, maxLength: 63 });
export const Duration = Type.String({ pattern: DURATION });
const LocalRef = obj({ name: Name }, { description: 'Reference by name to an object in the same namespace.' });
const StringMap = Type.Record(Type.String(), Type.String());
/** Free-form object: kept as given (manifests, Helm values). */
const FreeForm = Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });

export const Condition = obj({
  type: Type.String(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Type.String(),
  message: Type.String(),
  observedGeneration: opt(Type.Integer()),
  lastTransitionTime: Type.String({ format: 'date-time' }),
});
const CommonStatus = {
  observedGeneration: opt(Type.Integer()),
  conditions: opt(Type.Array(Condition)),
};

export const ObjectMeta = obj({
  name: Type.String(),
  namespace: opt(Type.String()),
  uid: opt(Type.String()),
  generation: opt(Type.Integer()),
  resourceVersion: opt(Type.String()),
  labels: opt(StringMap),
  annotations: opt(StringMap),
  finalizers: opt(Type.Array(Type.String())),
  deletionTimestamp: opt(Type.String()),
});

// ---------------------------------------------------------------- KureCluster
export const Engine = Type.Union([Type.Literal('flux'), Type.Literal('argocd')]);

export const ClusterSpec = obj({
  gitops: obj({
    engine: Engine,
    flux: opt(
      obj({
        namespace: opt(Name),
        sourceRef: opt(
          obj({
            kind: Type.Union([Type.Literal('GitRepository'), Type.Literal('OCIRepository'), Type.Literal('Bucket')]),
            name: Name,
          }),
        ),
      }),
    ),
    argocd: opt(
      obj({
        namespace: opt(Name),
        project: opt(Name),
        destination: opt(
          obj(
            { server: opt(Type.String({ minLength: 1 })), name: opt(Type.String({ minLength: 1 })) },
            cel([{ rule: '!(has(self.server) && has(self.name))', message: 'set at most one of server and name' }]),
          ),
        ),
      }),
    ),
    bootstrap: opt(obj({ enabled: opt(Type.Boolean()) })),
  }),
  repository: obj({
    url: Type.String({ pattern: '^https?://', description: 'Git repository URL (http or https).' }),
    branch: opt(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._/-]+$' })),
    path: opt(RelativePath()),
    secretRef: opt(LocalRef),
    author: opt(obj({ name: Type.String({ minLength: 1 }), email: Type.String({ minLength: 1 }) })),
  }),
  deletionPolicy: opt(Type.Union([Type.Literal('Retain'), Type.Literal('Delete')])),
  suspend: opt(Type.Boolean()),
});

export const ClusterStatus = obj({
  ...CommonStatus,
  lastCommit: opt(obj({ sha: Type.String(), time: Type.String(), message: Type.String() })),
});

// ---------------------------------------------------------------- KureNode
export const SourceKind = Type.Union([
  Type.Literal('GitRepository'),
  Type.Literal('OCIRepository'),
  Type.Literal('Bucket'),
]);

export const NodeSource = obj(
  {
    kind: SourceKind,
    url: Type.String({ minLength: 1 }),
    ref: opt(
      obj(
        {
          branch: opt(Type.String({ minLength: 1 })),
          tag: opt(Type.String({ minLength: 1 })),
          semver: opt(Type.String({ minLength: 1 })),
          commit: opt(Type.String({ minLength: 1 })),
        },
        cel([
          {
            rule: '[has(self.branch), has(self.tag), has(self.semver), has(self.commit)].filter(x, x).size() <= 1',
            message: 'set at most one of branch, tag, semver, commit',
          },
        ]),
      ),
    ),
    interval: opt(Duration),
    secretRef: opt(LocalRef),
  },
  cel([
    { rule: "self.kind != 'OCIRepository' || self.url.startsWith('oci://')", message: 'an OCIRepository url must start with oci://' },
    {
      rule: "self.kind != 'GitRepository' || self.url.startsWith('https://') || self.url.startsWith('http://') || self.url.startsWith('ssh://')",
      message: 'a GitRepository url must be http(s):// or ssh://',
    },
    { rule: "self.kind != 'Bucket' || !has(self.ref)", message: 'a Bucket source takes no ref' },
    {
      rule: "self.kind != 'OCIRepository' || !has(self.ref) || !has(self.ref.branch)",
      message: 'an OCIRepository ref takes tag, semver or digest-like commit, not branch',
    },
  ]),
);

export const NodeSpec = obj(
  {
    clusterRef: opt(LocalRef),
    parentRef: opt(LocalRef),
    source: opt(NodeSource),
  },
  cel([{ rule: 'has(self.clusterRef) != has(self.parentRef)', message: 'set exactly one of clusterRef and parentRef' }]),
);

// ---------------------------------------------------------------- KureBundle
export const BundleSpec = obj({
  nodeRef: LocalRef,
  dependsOn: opt(Type.Array(LocalRef)),
  interval: opt(Duration),
  retryInterval: opt(Duration),
  timeout: opt(Duration),
  prune: opt(Type.Boolean()),
  wait: opt(Type.Boolean()),
  targetNamespace: opt(Name),
  commonMetadata: opt(obj({ labels: opt(StringMap), annotations: opt(StringMap) })),
  suspend: opt(Type.Boolean()),
  allowedNamespaces: opt(Type.Array(Name)),
  path: opt(RelativePath()),
});

// ---------------------------------------------------------------- KureApplication
export const HelmSpec = obj({
  chart: Type.String({ minLength: 1, pattern: '^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$' }),
  version: opt(Type.String({ minLength: 1 })),
  repository: obj({ url: Type.String({ pattern: '^(https|oci)://' }) }),
  releaseName: opt(Name),
  namespace: opt(Name),
  values: opt(FreeForm),
});

const EnvVar = obj({ name: Type.String({ minLength: 1 }), value: opt(Type.String()) });
const Quantities = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]));
export const WorkloadSpec = obj({
  image: Type.String({ minLength: 1 }),
  replicas: opt(Type.Integer({ minimum: 0 })),
  ports: opt(
    Type.Array(obj({ name: opt(Name), containerPort: Type.Integer({ minimum: 1, maximum: 65535 }) }), {
      maxItems: 32,
    }),
  ),
  env: opt(Type.Array(EnvVar)),
  resources: opt(obj({ requests: opt(Quantities), limits: opt(Quantities) })),
  service: opt(obj({ port: Type.Integer({ minimum: 1, maximum: 65535 }) })),
  ingress: opt(
    obj({
      host: Type.String({ minLength: 1, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
      path: opt(Type.String({ pattern: '^/' })),
      className: opt(Type.String({ minLength: 1 })),
    }),
  ),
});

export const ApplicationSpec = obj(
  {
    bundleRef: obj({ name: Name, namespace: opt(Name) }),
    manifests: opt(Type.Array(FreeForm)),
    helm: opt(HelmSpec),
    workload: opt(WorkloadSpec),
  },
  cel([
    {
      rule: '[has(self.manifests), has(self.helm), has(self.workload)].filter(x, x).size() == 1',
      message: 'set exactly one of manifests, helm and workload',
    },
  ]),
);

export const CommonStatusSchema = obj({ ...CommonStatus });

// ---------------------------------------------------------------- resources
const resource = <K extends string, S extends TSchema, T extends TSchema>(kind: K, spec: S, status: T) =>
  obj({
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(kind),
    metadata: ObjectMeta,
    spec,
    status: opt(status),
  });

export const KureClusterSchema = resource('KureCluster', ClusterSpec, ClusterStatus);
export const KureNodeSchema = resource('KureNode', NodeSpec, CommonStatusSchema);
export const KureBundleSchema = resource('KureBundle', BundleSpec, CommonStatusSchema);
export const KureApplicationSchema = resource('KureApplication', ApplicationSpec, CommonStatusSchema);

export type Condition = Static<typeof Condition>;
export type ObjectMeta = Static<typeof ObjectMeta>;
export type ClusterSpec = Static<typeof ClusterSpec>;
export type ClusterStatus = Static<typeof ClusterStatus>;
export type NodeSpec = Static<typeof NodeSpec>;
export type NodeSource = Static<typeof NodeSource>;
export type BundleSpec = Static<typeof BundleSpec>;
export type ApplicationSpec = Static<typeof ApplicationSpec>;
export type HelmSpec = Static<typeof HelmSpec>;
export type WorkloadSpec = Static<typeof WorkloadSpec>;
export type CommonStatus = Static<typeof CommonStatusSchema>;
export type KureCluster = Static<typeof KureClusterSchema>;
export type KureNode = Static<typeof KureNodeSchema>;
export type KureBundle = Static<typeof KureBundleSchema>;
export type KureApplication = Static<typeof KureApplicationSchema>;
export type KureResource = KureCluster | KureNode | KureBundle | KureApplication;
export type KureKind = KureResource['kind'];
