// The in-memory hierarchy that every front door (files, API server, builder) assembles and that
// the renderers consume. Defaults are already applied here, so renderers never guess.
import type { ApplicationSpec, BundleSpec, HelmSpec, KureKind, NodeSource, WorkloadSpec } from '../api/schema.js';

/** Identifies a Kure resource in messages and status: `Kind namespace/name`. */
export interface ObjectRef {
  kind: KureKind;
  namespace: string;
  name: string;
}

export type EngineName = 'flux' | 'argocd';

export interface ClusterModel {
  ref: ObjectRef;
  name: string;
  engine: EngineName;
  flux: { namespace: string; sourceRef: { kind: 'GitRepository' | 'OCIRepository' | 'Bucket'; name: string } };
  argocd: { namespace: string; project: string; destination: { server?: string; name?: string } };
  bootstrap: boolean;
  repository: {
    url: string;
    branch: string;
    /** Repository-relative directory Kure owns, normalised: no leading './', no trailing '/'. */
    path: string;
    secretRef?: string;
    author: { name: string; email: string };
  };
  deletionPolicy: 'Retain' | 'Delete';
  suspend: boolean;
  /** Top-level nodes, sorted by name. */
  nodes: NodeModel[];
}

export interface NodeModel {
  ref: ObjectRef;
  name: string;
  /** Node names from the top-level node down to this one (inclusive). */
  path: string[];
  source?: NodeSource;
  /** Sorted by name. */
  children: NodeModel[];
  /** Sorted by name. */
  bundles: BundleModel[];
}

export interface BundleModel {
  ref: ObjectRef;
  name: string;
  /** Path of the node the bundle hangs under (NodeModel.path). */
  nodePath: string[];
  /** Names of bundles of the same cluster this one depends on, sorted. */
  dependsOn: string[];
  interval: string;
  retryInterval?: string;
  timeout?: string;
  prune: boolean;
  /** Explicit value, else true when another bundle depends on this one (see gitops-semantics §5). */
  wait: boolean;
  targetNamespace?: string;
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  suspend: boolean;
  /** Set when the bundle's node (or an ancestor) has a source: that node and the directory inside it. */
  external?: { node: string; source: NodeSource; path: string };
  /** Sorted by namespace, then name. Empty when `external` is set. */
  applications: ApplicationModel[];
  /** Other namespaces whose applications the bundle admits (spec.allowedNamespaces), sorted; empty for most bundles. */
  tenants?: string[];
  /** Cluster-scoped kinds tenants may create (spec.tenancy.allowedClusterScopedKinds), sorted. */
  allowedClusterScopedKinds?: { group: string; kind: string }[];
  /** Service account the engine impersonates when it applies the bundle (spec.serviceAccountName). */
  serviceAccountName?: string;
  /** SOPS decryption of the bundle's content (spec.decryption; Flux only). */
  decryption?: { provider: 'sops'; secretRef: string };
  /** Kustomize patches (spec.patches), as given. */
  patches?: NonNullable<BundleSpec['patches']>;
  /** Flux variable substitution (spec.postBuild; Flux only), maps with sorted keys. */
  postBuild?: NonNullable<BundleSpec['postBuild']>;
  /** spec.healthChecks, with namespace defaulted (targetNamespace for namespaced kinds). */
  healthChecks?: NonNullable<BundleSpec['healthChecks']>;
  healthCheckExprs?: NonNullable<BundleSpec['healthCheckExprs']>;
  /** Kustomize Components, relative to the external path (spec.components). */
  components?: string[];
  /** spec.force (Flux only); set only when true. */
  force?: true;
  /** Argo CD settings of the Application (spec.argocd; Argo CD only). */
  argocd?: NonNullable<BundleSpec['argocd']>;
}

export type ApplicationContent =
  | { type: 'manifests'; manifests: Record<string, unknown>[] }
  | { type: 'helm'; helm: HelmSpec }
  | { type: 'workload'; workload: WorkloadSpec };

export interface ApplicationModel {
  ref: ObjectRef;
  name: string;
  namespace: string;
  content: ApplicationContent;
  spec: ApplicationSpec;
  /**
   * Set for an application attached from another namespace to a bundle without targetNamespace:
   * its own namespace, which Kure writes on the objects it generates for it (a tenant places
   * objects only in the namespace its bundle grants, and without targetNamespace that is its own).
   */
  tenantNamespace?: string;
}

/** Rendered output: POSIX paths relative to the cluster's repository.path → file contents. Sorted keys. */
export type FileTree = Map<string, string>;

/** One problem with the input, printed as `Kind namespace/name: field: message`. */
export interface Problem {
  ref: ObjectRef;
  field: string;
  message: string;
  /** Status reason for the controller (InvalidSpec, NotFound, DependencyCycle, NotAllowed, ...). */
  reason: string;
  /**
   * The object was left out of the model and the rest of its cluster still renders: an application
   * attached without permission, or any problem of an application attached from another namespace
   * (a tenant cannot block the platform). `kure render` still fails on it.
   */
  leftOut?: boolean;
}
