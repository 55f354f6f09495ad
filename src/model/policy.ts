// What a bundle lets an application put into Git: tenancy (an application attached from another
// namespace places only namespaced objects, only in the namespace its bundle grants) and Secrets
// (no plaintext Secret is ever committed). Every refusal names the object inside the application.
import { groupOf, kindInfo, kindKey } from '../schemas/index.js';
import type { EngineName } from './types.js';

/** A kind by API group (`""` for the core group) and name, as Argo CD's AppProject writes it. */
export interface GroupKind {
  group: string;
  kind: string;
}

/** The doors a bundle opens; all closed by default. */
export interface BundlePolicy {
  /** `KureBundle ns/name`, for messages. */
  bundle: string;
  /** The bundle's targetNamespace, if any. */
  targetNamespace?: string;
  /** Kinds Kure cannot prove namespaced, or that apply further content, that tenants may use (in the granted namespace). */
  allowedKinds: readonly GroupKind[];
  /** Cluster-scoped kinds tenants may create. */
  allowedClusterScopedKinds: readonly GroupKind[];
  serviceAccountName?: string;
  /** spec.decryption is set (SOPS). */
  decryption: boolean;
  /** spec.postBuild is set: Flux substitutes ${var} in everything the bundle applies. */
  substitution?: boolean;
}

export interface PolicyProblem {
  field: string;
  message: string;
}

/** The application as the rules need it. */
export interface ApplicationContentView {
  /** The application's own namespace. */
  namespace: string;
  /** Set when it is attached from another namespace (a tenant). */
  tenant: boolean;
  manifests?: readonly Record<string, unknown>[];
  helm?: { namespace?: string; valuesFrom?: readonly unknown[] };
  workload?: unknown;
}

/**
 * Kinds that make the GitOps engine apply further content with its own (usually cluster-admin)
 * privileges: a tenant that may create one can place anything anywhere, unless the engine is locked
 * down (Flux --no-cross-namespace-refs and --default-service-account; Argo CD projects).
 */
const DELEGATING: ReadonlyMap<string, string> = new Map([
  ['kustomize.toolkit.fluxcd.io/Kustomization', 'Flux'],
  ['helm.toolkit.fluxcd.io/HelmRelease', 'Flux'],
  ['argoproj.io/Application', 'Argo CD'],
  ['argoproj.io/ApplicationSet', 'Argo CD'],
  ['argoproj.io/AppProject', 'Argo CD'],
]);

const listed = (list: readonly GroupKind[], group: string, kind: string) => list.some((k) => k.group === group && k.kind === kind);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface ManifestObject {
  object: Record<string, unknown>;
  /** `spec.manifests[i]`, or `spec.manifests[i].items[j]` inside a List. */
  field: string;
}

/**
 * The objects of `manifests`, with the items of a `List` (any kind ending in `List` with `items`,
 * which kustomize expands) in place of the List: rules apply to what is applied, not to wrappers.
 */
export function manifestObjects(manifests: readonly Record<string, unknown>[], base = 'spec.manifests'): ManifestObject[] {
  const out: ManifestObject[] = [];
  const visit = (object: Record<string, unknown>, field: string) => {
    if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) {
      object.items.forEach((item, j) => {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) visit(item as Record<string, unknown>, `${field}.items[${j}]`);
      });
    } else out.push({ object, field });
  };
  manifests.forEach((m, i) => visit(m, `${base}[${i}]`));
  return out;
}

export const label = (o: Record<string, unknown>): string => {
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  return `${String(o.kind)} ${String(meta.name)}`;
};

/** The namespace a tenant may place objects in: the bundle's targetNamespace, else its own. */
export const grantedNamespace = (policy: BundlePolicy, app: ApplicationContentView): string => policy.targetNamespace ?? app.namespace;

/** Every refusal of an application's content by its bundle's policy (tenancy and Secrets). */
export function policyProblems(app: ApplicationContentView, policy: BundlePolicy, engine: EngineName): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const { object, field } of manifestObjects(app.manifests ?? [])) {
    const message =
      (app.tenant ? (tenancyProblem(object, app, policy) ?? substitutionProblem(object, app, policy)) : undefined) ??
      secretProblem(object, policy, engine);
    if (message !== undefined) out.push({ field, message: `${label(object)}: ${message}` });
  }
  if (app.tenant && app.helm) out.push(...helmProblems(app, app.helm, policy));
  if (app.tenant && policy.substitution) {
    for (const [f, value] of [['spec.helm', app.helm], ['spec.workload', app.workload]] as const) {
      const at = value === undefined ? undefined : findSubstitution(value, f);
      if (at !== undefined) out.push({ field: at, message: substitutionMessage(app, policy) });
    }
  }
  return out;
}

/** `${` starts a Flux substitution (`$var` without braces is left alone by Flux). */
const SUBSTITUTION = '${';

/** The first field (key or string value) below `value` that contains `${`, as a kubectl-style path. */
export function findSubstitution(value: unknown, field: string): string | undefined {
  if (typeof value === 'string') return value.includes(SUBSTITUTION) ? field : undefined;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const at = findSubstitution(v, `${field}[${i}]`);
      if (at !== undefined) return at;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k.includes(SUBSTITUTION)) return `${field}.${k}`;
      const at = findSubstitution(v, `${field}.${k}`);
      if (at !== undefined) return at;
    }
  return undefined;
}

const substitutionMessage = (app: ApplicationContentView, policy: BundlePolicy) =>
  `contains \${...}, and ${policy.bundle} substitutes variables (spec.postBuild), whose values come from the platform (flux.namespace); an application from namespace ${app.namespace} may not use them, so remove \${ (Flux leaves $var without braces alone)`;

/**
 * In a bundle with postBuild, Flux substitutes `${var}` in every object it applies, tenants' included:
 * a tenant could copy the values of the platform's ConfigMaps and Secrets (substituteFrom, in
 * flux.namespace) into objects of its own namespace. So a tenant's content may not contain `${`,
 * and a SOPS-encrypted object of a tenant (whose values Kure cannot read) is refused there.
 */
function substitutionProblem(o: Record<string, unknown>, app: ApplicationContentView, policy: BundlePolicy): string | undefined {
  if (!policy.substitution) return undefined;
  if (o.sops !== undefined && o.sops !== null)
    return `is SOPS-encrypted, and ${policy.bundle} substitutes variables (spec.postBuild) after decryption; Kure cannot see whether its values contain \${...}, so an application from namespace ${app.namespace} may not place encrypted objects there`;
  const at = findSubstitution(o, '');
  return at === undefined ? undefined : `${at.replace(/^\./, '')} ${substitutionMessage(app, policy)}`;
}

function tenancyProblem(o: Record<string, unknown>, app: ApplicationContentView, policy: BundlePolicy): string | undefined {
  const apiVersion = str(o.apiVersion) ?? '';
  const kind = str(o.kind) ?? '';
  const group = groupOf(apiVersion);
  const from = `an application from namespace ${app.namespace}`;
  const granted = grantedNamespace(policy, app);
  if (listed(policy.allowedClusterScopedKinds, group, kind)) return undefined;
  const info = kindInfo(group, kind);
  const entry = `{group: ${group === '' ? '""' : group}, kind: ${kind}}`;
  if (info && !info.namespaced)
    return `is cluster-scoped, and ${from} may place only namespaced objects, in namespace ${granted} (${policy.bundle} can admit the kind with spec.tenancy.allowedClusterScopedKinds: [${entry}])`;
  const allowed = listed(policy.allowedKinds, group, kind);
  if (!info && !allowed)
    return `Kure cannot tell whether ${apiVersion} ${kind} is namespaced, so ${from} may use it only when ${policy.bundle} lists it: spec.tenancy.allowedKinds (namespaced) or spec.tenancy.allowedClusterScopedKinds: [${entry}]`;
  const engine = DELEGATING.get(kindKey(group, kind));
  if (engine && !allowed)
    return `a ${kind} makes ${engine} apply further content with its own privileges, so ${from} may use it only when ${policy.bundle} lists it: spec.tenancy.allowedKinds: [${entry}]`;
  const ns = str(((o.metadata ?? {}) as Record<string, unknown>).namespace);
  if (ns === undefined && policy.targetNamespace === undefined)
    return `has no metadata.namespace; ${policy.bundle} has no targetNamespace, so set it to ${granted}, the namespace the bundle grants ${from}`;
  if (ns !== undefined && ns !== granted) return `metadata.namespace ${ns} is not ${granted}, the namespace ${policy.bundle} grants ${from}`;
  return undefined;
}

const SOPS_VALUE = /^ENC\[[A-Z0-9_]+,data:/;

function secretProblem(o: Record<string, unknown>, policy: BundlePolicy, engine: EngineName): string | undefined {
  const sops = o.sops !== undefined && o.sops !== null;
  if (sops && engine === 'argocd') return 'is SOPS-encrypted, and Argo CD cannot decrypt SOPS; deliver it with External Secrets or Sealed Secrets';
  if (sops && !policy.decryption)
    return `is SOPS-encrypted, but ${policy.bundle} has no spec.decryption, so Flux would apply it undecrypted; set spec.decryption {provider: sops, secretRef: {name: <Secret holding the key>}}`;
  if (o.apiVersion !== 'v1' || o.kind !== 'Secret') return undefined;
  const values: [string, unknown][] = [];
  for (const f of ['data', 'stringData'] as const) {
    const map = o[f];
    if (map !== null && typeof map === 'object') for (const [k, v] of Object.entries(map)) values.push([`${f}.${k}`, v]);
  }
  if (values.length === 0) return undefined;
  if (!sops) {
    const fix = engine === 'argocd' ? 'deliver it with External Secrets or Sealed Secrets' : `encrypt it with SOPS (and set spec.decryption on ${policy.bundle}), or deliver it with External Secrets or Sealed Secrets`;
    return `holds data in plain text, and Kure does not commit plaintext Secrets to Git; ${fix}`;
  }
  const plain = values.find(([, v]) => typeof v !== 'string' || !SOPS_VALUE.test(v));
  if (plain) return `${plain[0]} is not encrypted (SOPS values look like ENC[AES256_GCM,data:...]); encrypt all of data and stringData with sops`;
  return undefined;
}

function helmProblems(app: ApplicationContentView, helm: NonNullable<ApplicationContentView['helm']>, policy: BundlePolicy): PolicyProblem[] {
  const from = `an application from namespace ${app.namespace}`;
  const granted = grantedNamespace(policy, app);
  const out: PolicyProblem[] = [];
  if (policy.serviceAccountName === undefined)
    out.push({
      field: 'spec.helm',
      message: `a chart can create objects of any kind, so ${from} may use helm only when ${policy.bundle} sets spec.serviceAccountName (the chart is then installed as that service account)`,
    });
  if ((helm.valuesFrom?.length ?? 0) > 0 && policy.targetNamespace === undefined)
    out.push({
      field: 'spec.helm.valuesFrom',
      message: `helm-controller reads valuesFrom in the HelmRelease namespace, which is flux.namespace because ${policy.bundle} has no targetNamespace; ${from} may use valuesFrom only in a bundle with targetNamespace (the namespace it is granted)`,
    });
  if (helm.namespace === undefined && policy.targetNamespace === undefined)
    out.push({ field: 'spec.helm.namespace', message: `is required: ${policy.bundle} has no targetNamespace, so set it to ${granted}, the namespace the bundle grants ${from}` });
  else if (helm.namespace !== undefined && helm.namespace !== granted)
    out.push({ field: 'spec.helm.namespace', message: `${helm.namespace} is not ${granted}, the namespace ${policy.bundle} grants ${from}` });
  return out;
}
