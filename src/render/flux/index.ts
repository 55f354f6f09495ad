// Flux layout:
//   kustomization.yaml                 resources: [flux, flux-system?] — the root applies Flux objects only
//   flux/kustomization.yaml            every file below
//   flux/sources/<node>.yaml           node sources
//   flux/kustomizations/<bundle>.yaml  one Kustomization per bundle
//   flux-system/                       (bootstrap) gotk-sync.yaml + kustomization.yaml
//   nodes/.../<bundle>/                bundle directories (see bundles.ts)
import { ownerLabels } from '../../api/labels.js';
import type { BundleModel, ClusterModel, ObjectRef } from '../../model/types.js';
import { bundleDirectory, contextFile, writeBundleDirectory } from '../bundles.js';
import { allBundles, allNodes } from '../layout.js';
import {
  assertUniqueIds,
  compact,
  FLUX_KUSTOMIZE_API,
  FLUX_SOURCE_API,
  fluxPath,
  joinPath,
  kustomization,
  MANAGED_BY,
  nonEmpty,
  toYaml,
  type Collect,
  type KubeObject,
} from '../objects.js';
import { fluxSource } from './sources.js';

export function fluxKustomization(bundle: BundleModel, cluster: ClusterModel, dir: string): KubeObject {
  const sourceRef =
    bundle.external === undefined
      ? { kind: cluster.flux.sourceRef.kind, name: cluster.flux.sourceRef.name }
      : { kind: bundle.external.source.kind, name: bundle.external.node };
  const path = bundle.external === undefined ? fluxPath(joinPath(cluster.repository.path, dir)) : fluxPath(bundle.external.path);
  const meta = bundle.commonMetadata;
  return {
    apiVersion: FLUX_KUSTOMIZE_API,
    kind: 'Kustomization',
    metadata: { name: bundle.name, namespace: cluster.flux.namespace, labels: { ...MANAGED_BY, ...ownerLabels({ cluster: cluster.ref, bundle: bundle.ref }) } },
    spec: compact({
      interval: bundle.interval,
      retryInterval: bundle.retryInterval,
      timeout: bundle.timeout,
      path,
      prune: bundle.prune,
      wait: bundle.wait,
      sourceRef,
      dependsOn: bundle.dependsOn.length > 0 ? bundle.dependsOn.map((name) => ({ name })) : undefined,
      targetNamespace: bundle.targetNamespace,
      // Flux impersonates it for the whole apply (multi-tenancy lockdown); it lives in flux.namespace.
      serviceAccountName: bundle.serviceAccountName,
      decryption: bundle.decryption === undefined ? undefined : { provider: bundle.decryption.provider, secretRef: { name: bundle.decryption.secretRef } },
      commonMetadata:
        meta === undefined
          ? undefined
          : nonEmpty(compact({ labels: nonEmpty({ ...meta.labels }), annotations: nonEmpty({ ...meta.annotations }) })),
      suspend: bundle.suspend ? true : undefined,
      force: bundle.force,
      components: bundle.components?.map((c) => c),
      patches: bundle.patches?.map((p) => compact({ patch: p.patch, target: p.target === undefined ? undefined : { ...p.target } })),
      postBuild: bundle.postBuild === undefined ? undefined : postBuild(bundle.postBuild),
      healthChecks: bundle.healthChecks?.map((h) => ({ ...h })),
      healthCheckExprs: bundle.healthCheckExprs?.map((h) => ({ ...h })),
    }),
  };
}

function postBuild(p: NonNullable<BundleModel['postBuild']>): Record<string, unknown> | undefined {
  return nonEmpty(
    compact({
      substitute: nonEmpty({ ...p.substitute }),
      substituteFrom: p.substituteFrom?.length ? p.substituteFrom.map((s) => ({ ...s })) : undefined,
    }),
  );
}

/** `flux bootstrap`'s gotk-sync.yaml: the cluster's GitRepository and the root Kustomization. */
export function gotkSync(cluster: ClusterModel): KubeObject[] {
  const { namespace, sourceRef } = cluster.flux;
  if (sourceRef.kind !== 'GitRepository') {
    throw new Error(
      `render: KureCluster ${cluster.ref.namespace}/${cluster.name}: bootstrap needs gitops.flux.sourceRef.kind GitRepository, not ${sourceRef.kind}`,
    );
  }
  return [
    {
      apiVersion: FLUX_SOURCE_API,
      kind: 'GitRepository',
      metadata: { name: sourceRef.name, namespace },
      spec: {
        interval: '1m0s',
        ref: { branch: cluster.repository.branch },
        secretRef: { name: sourceRef.name },
        url: cluster.repository.url,
      },
    },
    {
      apiVersion: FLUX_KUSTOMIZE_API,
      kind: 'Kustomization',
      metadata: { name: sourceRef.name, namespace },
      spec: {
        interval: '10m0s',
        path: fluxPath(cluster.repository.path),
        prune: true,
        sourceRef: { kind: 'GitRepository', name: sourceRef.name },
      },
    },
  ];
}

export function renderFlux(cluster: ClusterModel, tree: Map<string, string>, collect?: Collect): void {
  const fluxFiles = new Map<string, { objects: KubeObject[]; text: string; owner: ObjectRef; field: string }>();
  for (const node of allNodes(cluster)) {
    if (node.source !== undefined) {
      const objects = [fluxSource(node, node.source, cluster)];
      fluxFiles.set(`sources/${node.name}.yaml`, { objects, text: toYaml(objects), owner: node.ref, field: 'spec.source' });
    }
  }
  for (const bundle of allBundles(cluster)) {
    const directory = bundleDirectory(bundle, cluster);
    if (bundle.external === undefined) writeBundleDirectory(tree, directory, {}, collect);
    // The Kustomization reads only the bundle's and the cluster's settings (the directory's context).
    const file = `kustomizations/${bundle.name}.yaml`;
    const made = contextFile(`flux/${file}`, `${directory.context}|${directory.dir}`, () => [fluxKustomization(bundle, cluster, directory.dir)]);
    fluxFiles.set(file, { ...made, owner: bundle.ref, field: 'spec' });
  }
  const rootObjects: KubeObject[] = [...fluxFiles.values()].flatMap((f) => f.objects);
  for (const [file, { objects, text, owner, field }] of fluxFiles) {
    tree.set(`flux/${file}`, text);
    collect?.(`flux/${file}`, objects, owner, field);
  }
  tree.set('flux/kustomization.yaml', toYaml([kustomization([...fluxFiles.keys()])]));

  const root = ['flux'];
  if (cluster.bootstrap) {
    const sync = gotkSync(cluster);
    rootObjects.push(...sync);
    tree.set('flux-system/gotk-sync.yaml', toYaml(sync));
    collect?.('flux-system/gotk-sync.yaml', sync, cluster.ref, 'spec.gitops.bootstrap');
    tree.set('flux-system/kustomization.yaml', toYaml([kustomization(['gotk-sync.yaml'])]));
    root.push('flux-system');
  }
  assertUniqueIds(rootObjects, `KureCluster ${cluster.ref.namespace}/${cluster.name}: Flux objects`);
  tree.set('kustomization.yaml', toYaml([kustomization(root)]));
}
