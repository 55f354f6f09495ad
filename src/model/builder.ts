// The fluent builder: the domain in code, producing the same resources the CLI reads from YAML and
// the controller reads from the API server, so all three go through one assemble() and one render().
import {
  API_VERSION,
  type ApplicationSpec,
  type BundleSpec,
  type ClusterSpec,
  type KureResource,
  type NodeSpec,
} from '../api/schema.js';
import { assemble } from './assemble.js';
import { ValidationError } from './problems.js';
import type { ClusterModel } from './types.js';

export type ApplicationConfig = Omit<ApplicationSpec, 'bundleRef'> & { bundleRef?: ApplicationSpec['bundleRef'] };
export type BundleConfig = Omit<BundleSpec, 'nodeRef'>;
export type NodeConfig = Omit<NodeSpec, 'clusterRef' | 'parentRef'>;
export interface ClusterConfig {
  namespace?: string;
  gitops?: Partial<ClusterSpec['gitops']>;
  repository?: Partial<ClusterSpec['repository']>;
  deletionPolicy?: ClusterSpec['deletionPolicy'];
  suspend?: boolean;
}

const meta = (name: string, namespace: string) => ({ name, namespace });

export class ClusterBuilder {
  private readonly nodes: NodeBuilder<ClusterBuilder>[] = [];
  private readonly config: ClusterConfig;

  constructor(
    readonly name: string,
    config: ClusterConfig = {},
  ) {
    this.config = { ...config };
  }

  get namespace(): string {
    return this.config.namespace ?? 'default';
  }

  withEngine(engine: ClusterSpec['gitops']['engine']): this {
    this.config.gitops = { ...this.config.gitops, engine };
    return this;
  }

  withRepository(repository: Partial<ClusterSpec['repository']>): this {
    this.config.repository = { ...this.config.repository, ...repository };
    return this;
  }

  withNode(name: string, config: NodeConfig = {}): NodeBuilder<ClusterBuilder> {
    const node = new NodeBuilder(this, name, config, { clusterRef: { name: this.name } });
    this.nodes.push(node);
    return node;
  }

  /** The Kure resources this builder describes, as `kubectl apply` would take them. */
  resources(): KureResource[] {
    const { gitops, repository, deletionPolicy, suspend } = this.config;
    const spec: ClusterSpec = {
      gitops: { engine: 'flux', ...gitops },
      repository: { url: '', ...repository },
      ...(deletionPolicy ? { deletionPolicy } : {}),
      ...(suspend !== undefined ? { suspend } : {}),
    };
    return [
      { apiVersion: API_VERSION, kind: 'KureCluster', metadata: meta(this.name, this.namespace), spec },
      ...this.nodes.flatMap((n) => n.resources()),
    ];
  }

  /** Assembles and validates; throws ValidationError listing every problem. */
  build(): ClusterModel {
    const result = assemble(this.resources());
    if (result.problems.length > 0) throw new ValidationError(result.problems);
    const [cluster] = result.clusters;
    if (!cluster) throw new Error(`cluster ${this.name} was not assembled`);
    return cluster.model;
  }
}

export class NodeBuilder<P extends { namespace: string }> {
  private readonly children: NodeBuilder<NodeBuilder<P>>[] = [];
  private readonly bundles: BundleBuilder<P>[] = [];

  constructor(
    private readonly parent: P,
    readonly name: string,
    private readonly config: NodeConfig,
    private readonly attach: Pick<NodeSpec, 'clusterRef' | 'parentRef'>,
  ) {}

  get namespace(): string {
    return this.parent.namespace;
  }

  withNode(name: string, config: NodeConfig = {}): NodeBuilder<NodeBuilder<P>> {
    const child = new NodeBuilder(this, name, config, { parentRef: { name: this.name } });
    this.children.push(child);
    return child;
  }

  withBundle(name: string, config: BundleConfig = {}): BundleBuilder<P> {
    const bundle = new BundleBuilder(this, name, config);
    this.bundles.push(bundle);
    return bundle;
  }

  end(): P {
    return this.parent;
  }

  resources(): KureResource[] {
    return [
      { apiVersion: API_VERSION, kind: 'KureNode', metadata: meta(this.name, this.namespace), spec: { ...this.attach, ...this.config } },
      ...this.bundles.flatMap((b) => b.resources()),
      ...this.children.flatMap((c) => c.resources()),
    ];
  }
}

export class BundleBuilder<P extends { namespace: string }> {
  private readonly applications: { name: string; config: ApplicationConfig }[] = [];

  constructor(
    private readonly node: NodeBuilder<P>,
    readonly name: string,
    private readonly config: BundleConfig,
  ) {}

  dependsOn(...bundles: string[]): this {
    this.config.dependsOn = [...(this.config.dependsOn ?? []), ...bundles.map((name) => ({ name }))];
    return this;
  }

  withApplication(name: string, config: ApplicationConfig): this {
    this.applications.push({ name, config });
    return this;
  }

  end(): NodeBuilder<P> {
    return this.node;
  }

  resources(): KureResource[] {
    const namespace = this.node.namespace;
    return [
      { apiVersion: API_VERSION, kind: 'KureBundle', metadata: meta(this.name, namespace), spec: { nodeRef: { name: this.node.name }, ...this.config } },
      ...this.applications.map(
        ({ name, config }): KureResource => ({
          apiVersion: API_VERSION,
          kind: 'KureApplication',
          metadata: meta(name, namespace),
          spec: { bundleRef: { name: this.name }, ...config },
        }),
      ),
    ];
  }
}
