// Where things go: the engine-independent part of the repository layout.
import type { ApplicationModel, BundleModel, ClusterModel, NodeModel } from '../model/types.js';

/** Every bundle of the cluster, depth-first in node order (nodes and bundles are sorted by name). */
export function allBundles(cluster: Pick<ClusterModel, 'nodes'>): BundleModel[] {
  const out: BundleModel[] = [];
  const visit = (node: NodeModel): void => {
    out.push(...node.bundles);
    node.children.forEach(visit);
  };
  cluster.nodes.forEach(visit);
  return out;
}

/** Every node of the cluster, depth-first. */
export function allNodes(cluster: Pick<ClusterModel, 'nodes'>): NodeModel[] {
  const out: NodeModel[] = [];
  const visit = (node: NodeModel): void => {
    out.push(node);
    node.children.forEach(visit);
  };
  cluster.nodes.forEach(visit);
  return out;
}

/** The bundle's directory, relative to repository.path: `nodes/<node>/<child>/.../<bundle>`. */
export function bundleDir(bundle: BundleModel): string {
  return ['nodes', ...bundle.nodePath, bundle.name].join('/');
}

/**
 * File name of each application inside its bundle directory: `<name>.yaml`, or
 * `<name>.<namespace>.yaml` when two applications (of different namespaces) share the name, or
 * when the name is `kustomization` (the directory's own kustomization.yaml). Returned in
 * application order.
 */
export function applicationFileNames(bundle: BundleModel): Map<ApplicationModel, string> {
  const count = new Map<string, number>();
  for (const app of bundle.applications) count.set(app.name, (count.get(app.name) ?? 0) + 1);
  const names = new Map<ApplicationModel, string>();
  for (const app of bundle.applications) {
    const qualified = (count.get(app.name) ?? 0) > 1 || app.name === 'kustomization';
    names.set(app, qualified ? `${app.name}.${app.namespace}.yaml` : `${app.name}.yaml`);
  }
  return names;
}
