// Labels Kure puts on the engine objects it renders for a bundle (Flux Kustomization, Argo CD
// Application), so that the controller can tell, of many KureClusters sharing bundle names, whose
// object it watches. Values are valid label values (at most 63 characters, alphanumeric at both
// ends): a longer name is cut to 54 characters plus '-' and 8 hex digits of its SHA-256.
import { createHash } from 'node:crypto';

export const CLUSTER_LABEL = 'kure.dev/cluster';
export const CLUSTER_NAMESPACE_LABEL = 'kure.dev/cluster-namespace';
export const BUNDLE_LABEL = 'kure.dev/bundle';
export const BUNDLE_NAMESPACE_LABEL = 'kure.dev/bundle-namespace';

const VALID = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** A label value for a name: itself when valid, else a deterministic ≤63-character stand-in. */
export function labelValue(name: string): string {
  if (VALID.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const head = name.slice(0, 54).replace(/[^-A-Za-z0-9_.]/g, '-').replace(/[^A-Za-z0-9]+$/, '');
  return head ? `${head}-${hash}` : hash;
}

export interface BundleOwner {
  cluster: { namespace: string; name: string };
  bundle: { namespace: string; name: string };
}

/** The labels naming the KureCluster and KureBundle an engine object was rendered for. */
export function ownerLabels(o: BundleOwner): Record<string, string> {
  return {
    [CLUSTER_NAMESPACE_LABEL]: labelValue(o.cluster.namespace),
    [CLUSTER_LABEL]: labelValue(o.cluster.name),
    [BUNDLE_NAMESPACE_LABEL]: labelValue(o.bundle.namespace),
    [BUNDLE_LABEL]: labelValue(o.bundle.name),
  };
}

/** Reads the owner labels back (label values, as ownerLabels wrote them); undefined when any is missing. */
export function ownerOfLabels(labels: Record<string, string> | undefined): BundleOwner | undefined {
  const l = labels ?? {};
  const [cn, c, bn, b] = [l[CLUSTER_NAMESPACE_LABEL], l[CLUSTER_LABEL], l[BUNDLE_NAMESPACE_LABEL], l[BUNDLE_LABEL]];
  if (!cn || !c || !bn || !b) return undefined;
  return { cluster: { namespace: cn, name: c }, bundle: { namespace: bn, name: b } };
}
