// Assembles Kure resources into one model per cluster and collects EVERY problem on the way.
// Pure: the CLI, the controller (from its informer caches) and the builder all come through here.
import type { ApplicationSpec, KureApplication, KureBundle, KureCluster, KureNode, KureResource } from '../api/schema.js';
import { checkCluster, deferCheck } from '../render/check.js';
import { engineOf } from '../render/engines.js';
import { PLAIN_RENDERER, type Renderer } from '../render/renderer.js';
import { groupOf, kindInfo } from '../schemas/index.js';
import { isName, shapeProblems, specProblems } from './check-resource.js';
import { findCycles } from './cycles.js';
import { objectIdentities } from './objects.js';
import { policyProblems, type BundlePolicy, type GroupKind } from './policy.js';
import { Reason, cmp, problem, refKey, refOf, sortProblems, type ProblemReason } from './problems.js';
import { normalizeRepoPath, pathsOverlap } from './repo-path.js';
import { DEFAULT_AUTHOR, DEFAULT_BRANCH, repositoryOf } from './repository.js';
import type { ApplicationContent, ApplicationModel, BundleModel, ClusterModel, NodeModel, ObjectRef, Problem } from './types.js';

export interface AssembledCluster {
  /** `<namespace>/<name>` of the KureCluster. */
  key: string;
  /** Best-effort model; applications with a `leftOut` problem are not in it. */
  model: ClusterModel;
  /**
   * Every problem of the cluster's hierarchy, sorted. Reading it the first time checks the rendered
   * output against the kinds' schemas (only for a cluster that may be rendered): the cost is paid
   * for the clusters that are looked at, not for the whole fleet.
   */
  problems: Problem[];
  /** Every Kure resource that belongs to this cluster, the cluster included. */
  members: ObjectRef[];
}

export interface AssembleResult {
  clusters: AssembledCluster[];
  /** Problems of resources that reach no cluster. */
  orphans: Problem[];
  /** Resources that reach no cluster (with or without a problem of their own). */
  detached: ObjectRef[];
  /** All problems, sorted. */
  problems: Problem[];
}

export const DEFAULTS = {
  fluxNamespace: 'flux-system',
  fluxSource: { kind: 'GitRepository', name: 'flux-system' },
  argocdNamespace: 'argocd',
  argocdProject: 'default',
  argocdServer: 'https://kubernetes.default.svc',
  branch: DEFAULT_BRANCH,
  author: DEFAULT_AUTHOR,
  interval: '10m',
  sourceInterval: '10m',
} as const;

/**
 * A cluster may be rendered when its only problems are on applications left out of its model
 * (attached without permission, refused by their bundle's policy, or any problem of a tenant's).
 */
export const isRenderable = (c: Pick<AssembledCluster, 'problems'>): boolean => c.problems.every((p) => p.leftOut === true);

export interface AssembleOptions {
  /**
   * Renders the output check (and so the trees render() hands out): a caller that re-renders (the
   * controller) passes its Renderer, whose memos make that cheap. Default: no memos.
   */
  renderer?: Pick<Renderer, 'renderTree'>;
}

export function assemble(resources: readonly KureResource[], options: AssembleOptions = {}): AssembleResult {
  return new Assembler(resources, options.renderer ?? PLAIN_RENDERER).run();
}

class Assembler {
  private readonly problems: Problem[] = [];
  /** Resources by refKey; the first of duplicates wins. */
  private readonly byKey = new Map<string, KureResource>();
  /** Resources whose spec failed the schema: they resolve references but are not modelled. */
  private readonly malformed = new Set<string>();
  /** refKey → cluster refKey, for resources that reach a cluster. */
  private readonly clusterOf = new Map<string, string>();
  /** Applications attached across namespaces without permission. */
  private readonly notAllowed = new Set<string>();
  /** Applications attached from another namespace that their bundle admits (tenants). */
  private readonly tenants = new Set<string>();
  /** Applications left out of their cluster's model; their problems do not block the cluster. */
  private readonly leftOut = new Set<string>();

  private readonly keys = new WeakMap<KureResource, string>();

  constructor(
    private readonly input: readonly KureResource[],
    private readonly renderer: Pick<Renderer, 'renderTree'>,
  ) {}

  /** refKey of a resource, computed once: sorting and lookups ask for it many times. */
  private keyOf(r: KureResource): string {
    let key = this.keys.get(r);
    if (key === undefined) this.keys.set(r, (key = refKey(refOf(r))));
    return key;
  }

  run(): AssembleResult {
    for (const r of this.input) this.index(r);
    const all = [...this.byKey.values()].sort((a, b) => cmp(this.keyOf(a), this.keyOf(b)));
    for (const r of all) if (!this.malformed.has(this.keyOf(r))) for (const p of specProblems(r)) this.report(r, p.field, p.message, p.reason);
    this.resolveMembership(all);
    this.checkOverlappingPaths(this.ofKind<KureCluster>('KureCluster'));

    const clusters = this.ofKind<KureCluster>('KureCluster').map((c) => this.buildCluster(c, all));
    // Any problem of a tenant's application leaves it out: a tenant cannot block the platform.
    for (const p of this.problems) if (this.tenants.has(refKey(p.ref))) this.leftOut.add(refKey(p.ref));
    for (const p of this.problems) if (this.leftOut.has(refKey(p.ref))) p.leftOut = true;
    const sorted = sortProblems(this.problems);
    const clusterKeys = new Set(clusters.map((c) => refKey(c.model.ref)));
    const detached = all.map(refOf).filter((ref) => !clusterKeys.has(this.clusterOf.get(refKey(ref)) ?? ''));
    const detachedKeys = new Set(detached.map(refKey));
    const output: Problem[][] = [];
    for (const c of clusters) {
      const members = new Set(c.members.map(refKey));
      deferOutputCheck(c, sorted.filter((p) => members.has(refKey(p.ref))), this.tenants, output, this.renderer);
    }
    return lazyResult(clusters, sorted, detached, sorted.filter((p) => detachedKeys.has(refKey(p.ref))), output);
  }

  private report(r: KureResource | ObjectRef, field: string, message: string, reason?: ProblemReason): void {
    const ref = 'metadata' in r ? refOf(r) : r;
    this.problems.push(problem(ref, field, message, reason));
  }

  private get<T extends KureResource>(kind: T['kind'], namespace: string, name: string): T | undefined {
    return this.byKey.get(`${kind}/${namespace}/${name}`) as T | undefined;
  }

  private ofKind<T extends KureResource>(kind: T['kind']): T[] {
    return [...this.byKey.values()]
      .filter((r): r is T => r.kind === kind && !this.malformed.has(this.keyOf(r)))
      .sort((a, b) => cmp(this.keyOf(a), this.keyOf(b)));
  }

  // ------------------------------------------------------------------ shape
  private index(r: KureResource): void {
    const ref = refOf(r);
    const key = refKey(ref);
    if (this.byKey.has(key)) {
      this.report(r, 'metadata.name', `defined more than once (${r.kind} ${ref.namespace}/${ref.name})`, Reason.Duplicate);
      return;
    }
    this.byKey.set(key, r);
    const errors = shapeProblems(r);
    for (const e of errors) this.report(r, e.field, e.message);
    if (errors.length > 0) this.malformed.add(key);
  }

  // ------------------------------------------------------------------ references and membership
  private resolveMembership(all: KureResource[]): void {
    for (const r of all) if (r.kind === 'KureCluster' && !this.malformed.has(this.keyOf(r))) this.clusterOf.set(this.keyOf(r), this.keyOf(r));
    for (const r of all) if (r.kind === 'KureNode') this.nodeCluster(r);
    for (const r of all) if (r.kind === 'KureBundle') this.bundleCluster(r);
    for (const r of all) if (r.kind === 'KureApplication') this.applicationCluster(r);
  }

  /** Walks parentRef up to a clusterRef; reports dangling references and cycles once, where they are. */
  private nodeCluster(start: KureNode): string | undefined {
    const startKey = this.keyOf(start);
    if (this.clusterOf.has(startKey)) return this.clusterOf.get(startKey);
    const chain: KureNode[] = [];
    let node: KureNode | undefined = start;
    while (node) {
      const key = this.keyOf(node);
      if (this.clusterOf.has(key)) return this.settle(chain, this.clusterOf.get(key));
      const seen = chain.findIndex((n) => this.keyOf(n) === key);
      if (seen >= 0) {
        const cycle = chain.slice(seen);
        const path = [...cycle, node].map((n) => n.metadata.name).join(' → ');
        for (const n of cycle)
          if (!this.visited.has(this.keyOf(n)))
            this.report(n, 'spec.parentRef.name', `node parent cycle: ${path}`, Reason.DependencyCycle);
        return this.settle(chain, undefined);
      }
      chain.push(node);
      const ns: string = node.metadata.namespace ?? '';
      const spec = node.spec as Partial<KureNode['spec']> | undefined;
      if (spec?.clusterRef && isName(spec.clusterRef.name)) {
        const cluster = this.get<KureCluster>('KureCluster', ns, spec.clusterRef.name);
        if (!cluster) this.report(node, 'spec.clusterRef.name', `KureCluster ${ns}/${spec.clusterRef.name} not found`, Reason.NotFound);
        return this.settle(chain, cluster && !this.malformed.has(this.keyOf(cluster)) ? this.keyOf(cluster) : undefined);
      }
      if (!spec?.parentRef || !isName(spec.parentRef.name)) return this.settle(chain, undefined);
      const parent: KureNode | undefined = this.get<KureNode>('KureNode', ns, spec.parentRef.name);
      if (!parent) {
        this.report(node, 'spec.parentRef.name', `KureNode ${ns}/${spec.parentRef.name} not found`, Reason.NotFound);
        return this.settle(chain, undefined);
      }
      if (this.visited.has(this.keyOf(parent)) && !this.clusterOf.has(this.keyOf(parent))) return this.settle(chain, undefined);
      node = parent;
    }
    return undefined;
  }

  private readonly visited = new Set<string>();
  private settle(chain: KureNode[], cluster: string | undefined): string | undefined {
    for (const n of chain) {
      const key = this.keyOf(n);
      this.visited.add(key);
      if (cluster) this.clusterOf.set(key, cluster);
    }
    return cluster;
  }

  private bundleCluster(b: KureBundle): void {
    const name = (b.spec as Partial<KureBundle['spec']> | undefined)?.nodeRef?.name;
    if (!isName(name)) return;
    const ns = b.metadata.namespace ?? '';
    const node = this.get<KureNode>('KureNode', ns, name);
    if (!node) return this.report(b, 'spec.nodeRef.name', `KureNode ${ns}/${name} not found`, Reason.NotFound);
    const cluster = this.clusterOf.get(this.keyOf(node));
    if (cluster) this.clusterOf.set(this.keyOf(b), cluster);
  }

  private applicationCluster(a: KureApplication): void {
    const ref = (a.spec as Partial<KureApplication['spec']> | undefined)?.bundleRef;
    if (!isName(ref?.name) || (ref.namespace !== undefined && !isName(ref.namespace))) return;
    const own = a.metadata.namespace ?? '';
    const ns = ref.namespace ?? own;
    const bundle = this.get<KureBundle>('KureBundle', ns, ref.name);
    if (!bundle) return this.report(a, 'spec.bundleRef', `KureBundle ${ns}/${ref.name} not found`, Reason.NotFound);
    const cluster = this.clusterOf.get(this.keyOf(bundle));
    if (cluster) this.clusterOf.set(this.keyOf(a), cluster);
    if (ns !== own && (bundle.spec.allowedNamespaces ?? []).includes(own)) this.tenants.add(this.keyOf(a));
    if (ns !== own && !(bundle.spec.allowedNamespaces ?? []).includes(own)) {
      this.notAllowed.add(this.keyOf(a));
      this.leftOut.add(this.keyOf(a));
      this.report(
        a,
        'spec.bundleRef.namespace',
        `KureBundle ${ns}/${ref.name} does not admit applications from namespace ${own} (see its spec.allowedNamespaces)`,
        Reason.NotAllowed,
      );
    }
  }

  private checkOverlappingPaths(clusters: KureCluster[]): void {
    const target = repositoryOf;
    for (const [i, a] of clusters.entries())
      for (const b of clusters.slice(i + 1)) {
        const ta = target(a);
        const tb = target(b);
        if (ta.url !== tb.url || ta.branch !== tb.branch || !ta.path || !tb.path || !pathsOverlap(ta.path, tb.path)) continue;
        for (const [x, y] of [[a, b], [b, a]] as const)
          this.report(
            x,
            'spec.repository.path',
            `overlaps with KureCluster ${y.metadata.namespace}/${y.metadata.name} (${target(y).path}) in the same repository and branch`,
            Reason.Duplicate,
          );
      }
  }

  // ------------------------------------------------------------------ model
  private buildCluster(c: KureCluster, all: KureResource[]): AssembledCluster {
    const key = this.keyOf(c);
    const members = all.filter((r) => this.clusterOf.get(this.keyOf(r)) === key);
    const wellFormed = <T extends KureResource>(kind: T['kind']) =>
      members.filter((r): r is T => r.kind === kind && !this.malformed.has(this.keyOf(r)));
    const nodes = wellFormed<KureNode>('KureNode');
    const bundles = wellFormed<KureBundle>('KureBundle');
    const apps = wellFormed<KureApplication>('KureApplication');

    const spec = c.spec;
    const path = normalizeRepoPath(spec.repository.path ?? `clusters/${c.metadata.name}`);
    const model: ClusterModel = {
      ref: refOf(c),
      name: c.metadata.name,
      engine: spec.gitops.engine,
      flux: {
        namespace: spec.gitops.flux?.namespace ?? DEFAULTS.fluxNamespace,
        sourceRef: spec.gitops.flux?.sourceRef ?? { ...DEFAULTS.fluxSource },
      },
      argocd: {
        namespace: spec.gitops.argocd?.namespace ?? DEFAULTS.argocdNamespace,
        project: spec.gitops.argocd?.project ?? DEFAULTS.argocdProject,
        destination: spec.gitops.argocd?.destination ?? { server: DEFAULTS.argocdServer },
      },
      bootstrap: spec.gitops.bootstrap?.enabled ?? false,
      repository: {
        url: spec.repository.url,
        branch: spec.repository.branch ?? DEFAULTS.branch,
        path: 'path' in path ? path.path : '',
        ...(spec.repository.secretRef ? { secretRef: spec.repository.secretRef.name } : {}),
        author: spec.repository.author ?? { ...DEFAULTS.author },
      },
      deletionPolicy: spec.deletionPolicy ?? 'Retain',
      suspend: spec.suspend ?? false,
      nodes: [],
    };

    const dependents = new Set(bundles.flatMap((b) => (b.spec.dependsOn ?? []).map((d) => d.name)));
    const bundleModels = new Map<string, BundleModel>();
    const nodeModels = new Map<string, NodeModel>();
    const nodeByName = new Map(nodes.map((n) => [n.metadata.name, n]));

    const nodeModel = (n: KureNode): NodeModel => {
      const existing = nodeModels.get(n.metadata.name);
      if (existing) return existing;
      const parent = n.spec.parentRef ? nodeByName.get(n.spec.parentRef.name) : undefined;
      const parentModel = parent ? nodeModel(parent) : undefined;
      const m: NodeModel = {
        ref: refOf(n),
        name: n.metadata.name,
        path: [...(parentModel?.path ?? []), n.metadata.name],
        ...(n.spec.source ? { source: n.spec.source } : {}),
        children: [],
        bundles: [],
      };
      nodeModels.set(n.metadata.name, m);
      (parentModel ? parentModel.children : model.nodes).push(m);
      return m;
    };
    for (const n of nodes) nodeModel(n);

    /** The nearest node at or above `name` that has a source. */
    const sourceNode = (name: string): KureNode | undefined => {
      for (let n = nodeByName.get(name); n; n = n.spec.parentRef ? nodeByName.get(n.spec.parentRef.name) : undefined)
        if (n.spec.source) return n;
      return undefined;
    };

    const sourceOf = new Map<string, string>();
    for (const b of bundles) {
      const node = nodeModels.get(b.spec.nodeRef.name);
      if (!node) continue;
      const src = sourceNode(b.spec.nodeRef.name);
      if (src && b.spec.path === undefined)
        this.report(b, 'spec.path', `is required: node ${src.metadata.name} has a source, so the bundle names a directory inside it`);
      if (!src && b.spec.path !== undefined)
        this.report(b, 'spec.path', 'is only allowed under a node with a source (the content comes from Kure applications otherwise)');
      if (src) sourceOf.set(b.metadata.name, src.metadata.name);
      const bp = b.spec.path !== undefined ? normalizeRepoPath(b.spec.path) : undefined;
      const bm: BundleModel = {
        ref: refOf(b),
        name: b.metadata.name,
        nodePath: node.path,
        dependsOn: [...new Set((b.spec.dependsOn ?? []).map((d) => d.name))].sort(cmp),
        interval: b.spec.interval ?? DEFAULTS.interval,
        ...(b.spec.retryInterval ? { retryInterval: b.spec.retryInterval } : {}),
        ...(b.spec.timeout ? { timeout: b.spec.timeout } : {}),
        prune: b.spec.prune ?? true,
        wait: b.spec.wait ?? dependents.has(b.metadata.name),
        ...(b.spec.targetNamespace ? { targetNamespace: b.spec.targetNamespace } : {}),
        ...(b.spec.commonMetadata ? { commonMetadata: sortKeys(b.spec.commonMetadata) } : {}),
        suspend: b.spec.suspend ?? false,
        ...(src?.spec.source && bp && 'path' in bp ? { external: { node: src.metadata.name, source: src.spec.source, path: bp.path } } : {}),
        applications: [],
        ...policyFields(b),
        ...deliveryFields(b),
      };
      bundleModels.set(b.metadata.name, bm);
      node.bundles.push(bm);
    }

    this.checkDependencies(c, bundles);

    const bundleByName = new Map(bundles.map((b) => [b.metadata.name, b]));
    const policies = new Map<string, BundlePolicy>();
    const policyOf = (name: string): BundlePolicy => {
      let p = policies.get(name);
      if (!p) policies.set(name, (p = bundlePolicy(bundleByName.get(name) as KureBundle)));
      return p;
    };
    const withProblems = new Set(this.problems.map((p) => refKey(p.ref)));
    for (const a of apps) {
      const ref = a.spec.bundleRef;
      const bundle = bundleModels.get(ref.name);
      const key = this.keyOf(a);
      if (!bundle || this.notAllowed.has(key)) continue;
      const tenant = this.tenants.has(key);
      // A tenant's application with any problem stays out; the problem says why.
      if (tenant && withProblems.has(key)) continue;
      const src = sourceOf.get(bundle.name);
      if (src) {
        this.report(
          a,
          'spec.bundleRef',
          `KureBundle ${bundle.ref.namespace}/${bundle.name} takes its content from the source of node ${src} and cannot carry applications`,
        );
        continue;
      }
      const own = a.metadata.namespace ?? '';
      // Only manifests (any application) and a tenant's content can be refused by the bundle's policy.
      const refused =
        a.spec.manifests === undefined && !tenant
          ? []
          : policyProblems(
              { namespace: own, tenant, manifests: a.spec.manifests, helm: a.spec.helm, workload: a.spec.workload },
              policyOf(bundle.name),
              model.engine,
            );
      if (refused.length > 0) {
        for (const p of refused) this.report(a, p.field, p.message, Reason.NotAllowed);
        this.leftOut.add(key);
        continue;
      }
      bundle.applications.push(applicationModel(a, tenant && bundle.targetNamespace === undefined ? own : undefined));
    }
    // The engine's own rules (what Flux or Argo CD cannot deliver): render/<engine>/engine.ts.
    // A tenant's application they refuse is left out, as for any other problem of its own.
    const refused = engineOf(model).validate(model);
    this.problems.push(...refused);
    this.leaveOutTenants(bundleModels, new Set(refused.map((p) => refKey(p.ref))));
    this.checkHelmDependencies(bundleModels);
    this.checkDuplicateObjects(bundleModels, model);

    const sortTree = (list: NodeModel[]) => {
      list.sort((x, y) => cmp(x.name, y.name));
      for (const n of list) {
        n.bundles.sort((x, y) => cmp(x.name, y.name));
        for (const b of n.bundles) b.applications.sort((x, y) => cmp(`${x.namespace}/${x.name}`, `${y.namespace}/${y.name}`));
        sortTree(n.children);
      }
    };
    sortTree(model.nodes);
    return { key: `${model.ref.namespace}/${model.name}`, model, problems: [], members: members.map(refOf) };
  }

  private checkDependencies(cluster: KureCluster, bundles: KureBundle[]): void {
    const ns = cluster.metadata.namespace ?? '';
    const inCluster = new Map(bundles.map((b) => [b.metadata.name, b]));
    for (const b of bundles)
      (b.spec.dependsOn ?? []).forEach((d, i) => {
        const field = `spec.dependsOn[${i}].name`;
        if (d.name === b.metadata.name || inCluster.has(d.name)) return;
        const other = this.get<KureBundle>('KureBundle', ns, d.name);
        if (!other) return this.report(b, field, `KureBundle ${ns}/${d.name} not found`, Reason.NotFound);
        const otherCluster = this.clusterOf.get(this.keyOf(other))?.split('/').slice(1).join('/');
        this.report(
          b,
          field,
          `KureBundle ${ns}/${d.name} belongs to ${otherCluster ? `cluster ${otherCluster}` : 'no cluster'}, not ${ns}/${cluster.metadata.name}; dependencies stay within one cluster`,
        );
      });

    // Each cycle once, on every bundle in it, at the dependsOn entry that closes it.
    const edges = new Map(bundles.map((b) => [b.metadata.name, (b.spec.dependsOn ?? []).map((d) => d.name)]));
    for (const cycle of findCycles(edges)) {
      const path = [...cycle, cycle[0]].join(' → ');
      cycle.forEach((member, i) => {
        const bundle = inCluster.get(member) as KureBundle;
        const next = cycle[(i + 1) % cycle.length];
        const idx = (bundle.spec.dependsOn ?? []).findIndex((d) => d.name === next);
        this.report(bundle, `spec.dependsOn[${idx}].name`, `dependency cycle: ${path}`, Reason.DependencyCycle);
      });
    }
  }

  /**
   * helm.dependsOn names helm applications of the same bundle and namespace; cycles are reported on
   * every member. A tenant's application with such a problem is left out of its bundle.
   */
  private checkHelmDependencies(bundles: Map<string, BundleModel>): void {
    for (const bundle of bundles.values()) {
      const helm = bundle.applications.filter((a) => a.content.type === 'helm');
      if (!helm.some((a) => (a.spec.helm?.dependsOn?.length ?? 0) > 0)) continue;
      const byKey = new Map(helm.map((a) => [`${a.namespace}/${a.name}`, a]));
      const failed = new Set<ApplicationModel>();
      const edges = new Map<string, string[]>();
      for (const a of helm) {
        const deps: string[] = [];
        (a.spec.helm?.dependsOn ?? []).forEach((d, i) => {
          const key = `${a.namespace}/${d.name}`;
          if (d.name === a.name) return failed.add(a);
          if (byKey.has(key)) return deps.push(key);
          const other = bundle.applications.find((x) => x.namespace === a.namespace && x.name === d.name);
          this.report(
            a.ref,
            `spec.helm.dependsOn[${i}].name`,
            other
              ? `KureApplication ${key} has no helm; a HelmRelease can depend only on another HelmRelease`
              : `no helm application ${key} in KureBundle ${bundle.ref.namespace}/${bundle.name} (a HelmRelease depends only on those of its own bundle; between bundles use the bundle's dependsOn)`,
            other ? undefined : Reason.NotFound,
          );
          failed.add(a);
        });
        edges.set(`${a.namespace}/${a.name}`, deps);
      }
      for (const cycle of findCycles(edges)) {
        const short = (k: string | undefined) => (k ?? '').split('/')[1] ?? '';
        const path = [...cycle, cycle[0]].map(short).join(' → ');
        cycle.forEach((member, i) => {
          const a = byKey.get(member) as ApplicationModel;
          const next = short(cycle[(i + 1) % cycle.length]);
          const idx = (a.spec.helm?.dependsOn ?? []).findIndex((d) => d.name === next);
          this.report(a.ref, `spec.helm.dependsOn[${idx}].name`, `dependency cycle: ${path}`, Reason.DependencyCycle);
          failed.add(a);
        });
      }
      for (const a of failed) if (this.tenants.has(refKey(a.ref))) this.leaveOut(bundle, a);
    }
  }


  /** Takes an application out of its bundle; its problems say why. */
  private leaveOut(bundle: BundleModel, app: ApplicationModel): void {
    this.leftOut.add(refKey(app.ref));
    bundle.applications = bundle.applications.filter((a) => a !== app);
  }

  /** Leaves out the tenants' applications among `keys` (no walk of the applications when there are none). */
  private leaveOutTenants(bundles: Map<string, BundleModel>, keys: Set<string>): void {
    const out = new Set([...keys].filter((k) => this.tenants.has(k)));
    if (out.size === 0) return;
    for (const b of bundles.values()) for (const a of b.applications.filter((x) => out.has(refKey(x.ref)))) this.leaveOut(b, a);
  }

  private checkDuplicateObjects(bundles: Map<string, BundleModel>, cluster: ClusterModel): void {
    const seen = new Map<string, ApplicationModel>();
    const all: { app: ApplicationModel; bundle: BundleModel }[] = [];
    for (const b of [...bundles.values()].sort((x, y) => cmp(x.name, y.name)))
      for (const app of [...b.applications].sort((x, y) => cmp(`${x.namespace}/${x.name}`, `${y.namespace}/${y.name}`))) all.push({ app, bundle: b });
    // The platform's applications first: a tenant that names an object the platform (or an earlier
    // tenant) owns is the one refused, and it is left out rather than blocking the cluster.
    // (Without tenants, no refKey string per application and per question.)
    const isTenant = this.tenants.size === 0 ? () => false : (app: ApplicationModel) => this.tenants.has(refKey(app.ref));
    const ordered = [...all.filter((x) => !isTenant(x.app)), ...all.filter((x) => isTenant(x.app))];
    for (const { app, bundle } of ordered) {
      const tenant = isTenant(app);
      const mine: string[] = [];
      let clash = false;
      for (const id of objectIdentities(app, bundle.targetNamespace, cluster)) {
        if (!id.kind || !id.name) continue;
        const key = `${id.apiVersion}|${id.kind}|${id.namespace}|${id.name}`;
        const first = seen.get(key);
        if (!first) {
          mine.push(key);
          continue;
        }
        clash = true;
        this.report(
          app.ref,
          id.field,
          `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name} is also produced by KureApplication ${first.namespace}/${first.name}; one object can have one owner`,
          Reason.Duplicate,
        );
      }
      if (tenant && clash) this.leaveOut(bundle, app);
      else for (const key of mine) seen.set(key, app);
    }
  }
}

// The lazy parts of the result live outside the Assembler, so that they keep alive only what they
// use (closures created in run() would hold the whole Assembler and its maps).

/**
 * `c.problems` becomes a getter: the first read renders the cluster and checks every generated
 * object against its kind's schema (only for a cluster that may be rendered); render() of the
 * model runs the same check first when nobody read the problems.
 */
function deferOutputCheck(c: AssembledCluster, own: Problem[], tenants: ReadonlySet<string>, output: Problem[][], renderer: Pick<Renderer, 'renderTree'>): void {
  let done: Problem[] | undefined;
  const finish = (): Problem[] => {
    if (done) return done;
    if (!isRenderable({ problems: own })) return (done = own);
    let found: Problem[];
    try {
      found = checkCluster(c.model, (ref) => tenants.has(refKey(ref)), (m, collect) => renderer.renderTree(m, collect)).problems;
    } catch {
      // The renderer refused the model (a bug or an unchecked case): render() throws the same
      // error where the caller expects render errors, so nothing is checked or cached here.
      return (done = own);
    }
    output.push(found);
    return (done = found.length === 0 ? own : sortProblems([...own, ...found]));
  };
  Object.defineProperty(c, 'problems', { enumerable: true, configurable: true, get: finish });
  deferCheck(c.model, finish);
}

/** The result, whose `problems` (all of them) includes every cluster's output check. */
function lazyResult(clusters: AssembledCluster[], sorted: Problem[], detached: ObjectRef[], orphans: Problem[], output: Problem[][]): AssembleResult {
  let everything: Problem[] | undefined;
  return {
    clusters,
    orphans,
    detached,
    get problems(): Problem[] {
      if (everything) return everything;
      for (const c of clusters) void c.problems;
      return (everything = sortProblems([...sorted, ...output.flat()]));
    },
  };
}

/** A bundle's tenancy, impersonation and decryption settings, for the model. */
function policyFields(b: KureBundle): Partial<BundleModel> {
  const spec = b.spec;
  const tenants = [...new Set(spec.allowedNamespaces ?? [])].filter((n) => n !== b.metadata.namespace).sort(cmp);
  const clusterScoped = sortKinds(spec.tenancy?.allowedClusterScopedKinds ?? []);
  return {
    ...(tenants.length > 0 ? { tenants } : {}),
    ...(tenants.length > 0 && clusterScoped.length > 0 ? { allowedClusterScopedKinds: clusterScoped } : {}),
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    ...(spec.decryption ? { decryption: { provider: spec.decryption.provider, secretRef: spec.decryption.secretRef.name } } : {}),
  };
}

/** The doors a bundle opens, for the policy rules. */
function bundlePolicy(b: KureBundle): BundlePolicy {
  const spec = b.spec;
  return {
    bundle: `KureBundle ${b.metadata.namespace ?? ''}/${b.metadata.name}`,
    ...(spec.targetNamespace ? { targetNamespace: spec.targetNamespace } : {}),
    allowedKinds: spec.tenancy?.allowedKinds ?? [],
    allowedClusterScopedKinds: spec.tenancy?.allowedClusterScopedKinds ?? [],
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    decryption: spec.decryption !== undefined,
    substitution: spec.postBuild !== undefined,
  };
}

/** Patches, substitution, health checks, components, force and the Argo CD settings, for the model. */
function deliveryFields(b: KureBundle): Partial<BundleModel> {
  const spec = b.spec;
  const target = spec.targetNamespace;
  const healthChecks = spec.healthChecks?.map((h) => {
    if (h.namespace !== undefined || target === undefined) return { ...h };
    const info = kindInfo(groupOf(h.apiVersion), h.kind);
    return info && !info.namespaced ? { ...h } : { ...h, namespace: target };
  });
  return {
    ...(spec.patches?.length ? { patches: spec.patches } : {}),
    ...(spec.postBuild ? { postBuild: sortKeys(spec.postBuild) } : {}),
    ...(healthChecks?.length ? { healthChecks } : {}),
    ...(spec.healthCheckExprs?.length ? { healthCheckExprs: spec.healthCheckExprs } : {}),
    ...(spec.components?.length ? { components: spec.components } : {}),
    ...(spec.force ? { force: true as const } : {}),
    ...(spec.argocd ? { argocd: spec.argocd } : {}),
  };
}

const sortKinds = (kinds: readonly GroupKind[]): GroupKind[] =>
  [...new Map(kinds.map((k) => [`${k.group}/${k.kind}`, { group: k.group, kind: k.kind }])).entries()].sort(([a], [b]) => cmp(a, b)).map(([, k]) => k);


/**
 * Maps in the model have sorted keys: the API server stores custom resources that way, so sorting
 * here makes `kure render` and the controller write the same bytes for the same input.
 */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  // A loop rather than Object.fromEntries of mapped pairs (two arrays per object; every spec goes
  // through here). `__proto__` is defined as an own key, as fromEntries does, not set as the prototype.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort(cmp)) {
    const v = sortKeys(obj[k]);
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out as T;
}

const sortedSpecs = new WeakMap<object, ApplicationSpec>();

function applicationModel(a: KureApplication, tenantNamespace: string | undefined): ApplicationModel {
  let s = sortedSpecs.get(a.spec);
  if (!s) sortedSpecs.set(a.spec, (s = sortKeys(a.spec)));
  const content: ApplicationContent = s.manifests
    ? { type: 'manifests', manifests: s.manifests }
    : s.helm
      ? { type: 'helm', helm: s.helm }
      : { type: 'workload', workload: s.workload ?? { image: '' } };
  return { ref: refOf(a), name: a.metadata.name, namespace: a.metadata.namespace ?? '', content, spec: s, ...(tenantNamespace ? { tenantNamespace } : {}) };
}
