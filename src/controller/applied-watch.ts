// Watches the engines' objects (Flux Kustomizations, Argo CD Applications) that Kure rendered for
// bundles, and writes each bundle's Applied condition and its cluster's summary through the status
// writer. Event-driven only: an engine object's watch event, or a bundle's status moving to a new
// commit, recomputes that bundle; nothing polls. Nothing here renders or pushes.
//
// The engine objects are mapped back to bundles by the owner labels of src/api/labels.ts. A CRD
// that is not installed (or a list the server refuses) leaves that engine unreadable: its bundles
// get Applied=Unknown/EngineUnreadable, the informer keeps retrying with its backoff, and /readyz
// does not depend on it.
//
// A KureCluster with spec.gitops.kubeconfigSecretRef has its engine in another cluster: one set of
// informers per distinct kubeconfig Secret (loaded in memory with loadFromString), made when first
// referenced, replaced when the Secret's content changes, stopped when nothing references it. Its
// bundles read their engine object from there; a Secret that is missing, unparsable or whose server
// cannot be listed gives Applied=Unknown with a message naming the Secret, never its content.
import { createHash } from 'node:crypto';
import { CustomObjectsApi, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { labelValue, ownerOfLabels, BUNDLE_LABEL } from '../api/labels.js';
import { Reason } from '../api/reasons.js';
import type { KureResource } from '../api/schema.js';
import { splitClusterKey, type ClusterKey, type FleetIndex } from '../model/fleet-index.js';
import { repositoryOf } from '../model/repository.js';
import { APPLIED, appliedCondition, appliedSummary, revisionSha, type EngineName, type EngineObject } from './applied.js';
import type { ResourceCache } from './contracts.js';
import { Informer, Reflector, type EventType, type WatchFn } from './informers.js';
import { KubeApi, statusCode } from './kube.js';
import { scrubString, type Logger } from './logger.js';
import { findCondition, READY } from './status.js';
import type { StatusWriter } from './status-writer.js';

export interface EngineResource {
  engine: EngineName;
  group: string;
  version: string;
  plural: string;
}

export const ENGINE_RESOURCES: Record<EngineName, EngineResource> = {
  flux: { engine: 'flux', group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' },
  argocd: { engine: 'argocd', group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' },
};

/** Only engine objects Kure rendered for a bundle. */
export const ENGINE_SELECTOR = BUNDLE_LABEL;

/** Does commit `descendant` hold `ancestor` in repository url/branch? undefined: cannot tell. */
export type AsyncContains = (url: string, branch: string, descendant: string, ancestor: string) => Promise<boolean | undefined>;

export interface AppliedWatchOptions {
  kubeConfig: KubeConfig;
  watch: WatchFn;
  cache: Pick<ResourceCache, 'get'> & { index: Pick<FleetIndex, 'clusters' | 'subtree' | 'clusterOf'> };
  statuses: Pick<StatusWriter, 'enqueueSide'>;
  contains?: AsyncContains;
  logger: Logger;
  watchTimeoutSeconds: number;
  /** Writes happen only while this is true (the leader). */
  active: () => boolean;
  onRestart?: (resource: string, reason: string) => void;
  /** Secrets the controller watches (labelled kure.dev/credentials=true), for spec.gitops.kubeconfigSecretRef. */
  secrets?: Pick<ResourceCache, 'secret'>;
  /** The watch function of a remote engine cluster (default: a KubeApi's). */
  remoteWatch?: (kc: KubeConfig) => WatchFn;
  /** Reads a Secret directly, when the cache holds a labelled Secret without its data (referenced after it was listed). */
  readSecret?: (namespace: string, name: string) => Promise<V1Secret | undefined>;
}

/** spec.gitops.kubeconfigSecretRef of a KureCluster: the Secret's `<namespace>/<name>` and key. */
export function kubeconfigRefOf(cluster: KureResource | undefined): { secret: string; namespace: string; name: string; key?: string } | undefined {
  const ref = (cluster?.spec as { gitops?: { kubeconfigSecretRef?: { name?: unknown; key?: unknown } } } | undefined)?.gitops?.kubeconfigSecretRef;
  if (!ref || typeof ref.name !== 'string' || ref.name === '') return undefined;
  const namespace = cluster?.metadata.namespace ?? '';
  return { secret: `${namespace}/${ref.name}`, namespace, name: ref.name, ...(typeof ref.key === 'string' ? { key: ref.key } : {}) };
}

/**
 * The kubeconfig text of a Secret (key, else value, else kubeconfig), or why there is none. The
 * reason names the Secret and key, never the content.
 */
export function kubeconfigOfSecret(where: string, secret: V1Secret | undefined, key?: string): { text: string } | { error: string } {
  if (!secret) return { error: `${where} (spec.gitops.kubeconfigSecretRef) does not exist or lacks the label kure.dev/credentials=true` };
  const keys = key ? [key] : ['value', 'kubeconfig'];
  const k = keys.find((x) => typeof secret.data?.[x] === 'string' || typeof secret.stringData?.[x] === 'string');
  if (!k) return { error: `${where} (spec.gitops.kubeconfigSecretRef) has no key ${keys.join(' or ')}` };
  const text = secret.stringData?.[k] ?? Buffer.from(secret.data![k]!, 'base64').toString('utf8');
  return { text };
}

/** A KubeConfig from kubeconfig text (in memory only), or why it is unusable (without its content). */
export function loadKubeconfig(where: string, text: string): { kc: KubeConfig } | { error: string } {
  try {
    const kc = new KubeConfig();
    kc.loadFromString(text);
    if (!kc.getCurrentCluster()) return { error: `${where} (spec.gitops.kubeconfigSecretRef): the kubeconfig has no current cluster` };
    // A tenant's kubeconfig must not run commands in the controller or read its files (its own token).
    const local = [
      ...kc.getUsers().flatMap((u) => [u.exec && 'exec', u.authProvider && 'auth-provider', u.certFile && 'client-certificate', u.keyFile && 'client-key']),
      ...kc.getClusters().map((c) => c.caFile && 'certificate-authority'),
    ].filter((x): x is string => typeof x === 'string');
    if (local.length > 0)
      return { error: `${where} (spec.gitops.kubeconfigSecretRef): the kubeconfig uses ${[...new Set(local)].join(', ')}; only inline data (token, *-data, username/password) is accepted` };
    return { kc };
  } catch {
    return { error: `${where} (spec.gitops.kubeconfigSecretRef): the kubeconfig cannot be parsed` };
  }
}

type EngineInformer = Informer<EngineObject & { metadata?: { resourceVersion?: string } }>;

/** The engine objects of one cluster (the controller's own, or a remote one). */
interface Target {
  informers: Record<EngineName, EngineInformer>;
  unreadable: Record<EngineName, string | undefined>;
  byOwner: Record<EngineName, Map<string, EngineObject>>;
  custom: CustomObjectsApi;
  /** For a remote target: the kubeconfig Secret `<namespace>/<name>`. */
  secret?: string;
}

interface Remote {
  version: string;
  target?: Target;
  error?: string;
}

const ownerKey = (clusterNs: string, cluster: string, bundleNs: string, bundle: string) => `${clusterNs}/${cluster}/${bundleNs}/${bundle}`;

export class AppliedWatch {
  readonly informers: Record<EngineName, EngineInformer>;
  private readonly local: Target;
  /** Remote engine clusters by kubeconfig Secret `<namespace>/<name>`. */
  private readonly remotes = new Map<string, Remote>();
  private started = false;
  /** Secrets read directly (their data, at a resourceVersion), for cached ones without data. */
  private readonly fetched = new Map<string, { rv: string | undefined; secret?: V1Secret; error?: string }>();
  private readonly fetching = new Set<string>();
  /** Last Applied status computed per bundle (for the cluster summaries). */
  private readonly bundleApplied = new Map<string, string>();

  constructor(private readonly o: AppliedWatchOptions) {
    this.local = this.makeTarget(o.kubeConfig, o.watch);
    this.informers = this.local.informers;
  }

  private makeTarget(kc: KubeConfig, watch: WatchFn, secret?: string): Target {
    const t: Target = {
      informers: {} as Record<EngineName, EngineInformer>,
      unreadable: { flux: undefined, argocd: undefined },
      byOwner: { flux: new Map(), argocd: new Map() },
      custom: kc.makeApiClient(CustomObjectsApi),
      ...(secret ? { secret } : {}),
    };
    const make = (r: EngineResource) => {
      const resource = `${r.plural}.${r.group}`;
      t.unreadable[r.engine] = `${resource}: not listed yet`;
      const informer = new Informer<EngineObject>(resource, [
        new Reflector<EngineObject>({
          resource,
          path: `/apis/${r.group}/${r.version}/${r.plural}`,
          list: () => this.list(t, r),
          watch,
          labelSelector: ENGINE_SELECTOR,
          watchTimeoutSeconds: this.o.watchTimeoutSeconds,
          // The reflector would warn on every retry; list() below says each change of state once.
          logger: this.o.logger.child({}, { level: 'error' }),
          maxBackoffMs: 60_000,
          onRestart: (reason) => this.o.onRestart?.(resource, reason),
        }),
      ]);
      informer.on((type, obj, old) => this.onEngineEvent(t, r.engine, type, obj, old));
      return informer;
    };
    t.informers = { flux: make(ENGINE_RESOURCES.flux), argocd: make(ENGINE_RESOURCES.argocd) };
    return t;
  }

  private async list(t: Target, r: EngineResource): Promise<{ items: EngineObject[]; resourceVersion: string }> {
    const resource = `${r.plural}.${r.group}`;
    const where = t.secret ? `the cluster of the kubeconfig Secret ${t.secret}` : 'the cluster Kure reads';
    try {
      const page = (await t.custom.listClusterCustomObject({ group: r.group, version: r.version, plural: r.plural, labelSelector: ENGINE_SELECTOR })) as {
        items?: EngineObject[];
        metadata?: { resourceVersion?: string };
      };
      const wasUnreadable = t.unreadable[r.engine] !== undefined;
      t.unreadable[r.engine] = undefined;
      if (wasUnreadable) queueMicrotask(() => this.recomputeEngine(r.engine));
      return { items: page.items ?? [], resourceVersion: page.metadata?.resourceVersion ?? '' };
    } catch (err) {
      const code = statusCode(err);
      const before = t.unreadable[r.engine];
      t.unreadable[r.engine] =
        code === 404
          ? `the CRD ${resource} is not installed in ${where}`
          : code === 403
            ? `not allowed to list ${resource} ${t.secret ? `in ${where}` : 'cluster-wide'} (RBAC: get, list, watch${t.secret ? '' : '; chart value controller.watchEngine'})`
            : t.secret
              ? `listing ${resource} in ${where} failed${code ? ` (HTTP ${code})` : ': unreachable'}`
              : `listing ${resource} failed: ${scrubString(err instanceof Error ? err.message : String(err))}`;
      if (before !== t.unreadable[r.engine]) {
        this.o.logger.warn({ resource }, `${t.unreadable[r.engine]}: bundles' Applied is Unknown until it can be read; retrying with backoff`);
        this.recomputeEngine(r.engine);
      }
      throw err;
    }
  }

  /**
   * Brings the remote watches in line with the KureClusters' kubeconfigSecretRefs and the Secrets'
   * content: one per distinct Secret, replaced when its content changes, stopped when unreferenced.
   */
  syncRemotes(): void {
    const wanted = new Map<string, { namespace: string; name: string; key?: string }>();
    for (const key of this.o.cache.index.clusters()) {
      const { namespace, name } = splitClusterKey(key);
      const ref = kubeconfigRefOf(this.o.cache.get('KureCluster', namespace, name));
      if (ref && !wanted.has(ref.secret)) wanted.set(ref.secret, ref);
    }
    const changed = new Set<string>();
    for (const secret of this.fetched.keys()) if (!wanted.has(secret)) this.fetched.delete(secret);
    for (const [secret, remote] of this.remotes) {
      if (wanted.has(secret)) continue;
      if (remote.target) void this.stopTarget(remote.target);
      this.remotes.delete(secret);
    }
    for (const [secret, ref] of wanted) {
      const where = `Secret ${secret}`;
      let cached = this.o.secrets?.secret(ref.namespace, ref.name);
      if (cached && !cached.data && this.o.readSecret) {
        const f = this.fetched.get(secret);
        if (!f || f.rv !== cached.metadata?.resourceVersion) {
          void this.fetch(secret, ref.namespace, ref.name, cached.metadata?.resourceVersion);
          continue;
        }
        cached = f.secret;
      }
      const fetchError = this.fetched.get(secret)?.error;
      const got = fetchError && !cached ? { error: fetchError } : kubeconfigOfSecret(where, cached, ref.key);
      const version = 'error' in got ? `error:${got.error}` : `ok:${hash(got.text)}`;
      const before = this.remotes.get(secret);
      if (before?.version === version) continue;
      if (before?.target) void this.stopTarget(before.target);
      changed.add(secret);
      if ('error' in got) {
        this.remotes.set(secret, { version, error: got.error });
        continue;
      }
      const loaded = loadKubeconfig(where, got.text);
      if ('error' in loaded) {
        this.remotes.set(secret, { version, error: loaded.error });
        continue;
      }
      const target = this.makeTarget(loaded.kc, (this.o.remoteWatch ?? ((kc) => new KubeApi(kc).watch))(loaded.kc), secret);
      this.remotes.set(secret, { version, target });
      if (this.started) for (const i of Object.values(target.informers)) i.start();
    }
    if (changed.size === 0) return;
    for (const key of this.o.cache.index.clusters()) {
      const { namespace, name } = splitClusterKey(key);
      const ref = kubeconfigRefOf(this.o.cache.get('KureCluster', namespace, name));
      if (ref && changed.has(ref.secret)) for (const r of this.o.cache.index.subtree(`KureCluster/${key}`)) if (r.kind === 'KureBundle') void this.recompute(r);
    }
  }

  private async fetch(secret: string, namespace: string, name: string, rv: string | undefined): Promise<void> {
    if (this.fetching.has(secret)) return;
    this.fetching.add(secret);
    try {
      const s = await this.o.readSecret!(namespace, name);
      this.fetched.set(secret, { rv, ...(s ? { secret: { metadata: { resourceVersion: rv }, data: s.data ?? {} } } : {}) });
    } catch (err) {
      this.o.logger.warn({ secret, code: statusCode(err) }, 'reading the kubeconfig Secret failed');
      this.fetched.set(secret, { rv, error: `Secret ${secret} (spec.gitops.kubeconfigSecretRef) cannot be read (HTTP ${statusCode(err) ?? '?'})` });
    } finally {
      this.fetching.delete(secret);
    }
    this.syncRemotes();
  }

  private async stopTarget(t: Target): Promise<void> {
    await Promise.all(Object.values(t.informers).map((i) => i.stop()));
  }

  /** A labelled Secret changed: a kubeconfig Secret's watch is replaced. */
  onSecret(): void {
    this.syncRemotes();
  }

  start(): void {
    this.started = true;
    for (const i of Object.values(this.informers)) i.start();
    this.syncRemotes();
    for (const r of this.remotes.values()) if (r.target) for (const i of Object.values(r.target.informers)) i.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([this.stopTarget(this.local), ...[...this.remotes.values()].map((r) => (r.target ? this.stopTarget(r.target) : undefined))]);
  }

  private onEngineEvent(t: Target, engine: EngineName, type: EventType, obj: EngineObject, old?: EngineObject): void {
    const owners = [ownerOfLabels(obj.metadata?.labels), old ? ownerOfLabels(old.metadata?.labels) : undefined];
    const seen = new Set<string>();
    for (const [i, owner] of owners.entries()) {
      if (!owner) continue;
      const key = ownerKey(owner.cluster.namespace, owner.cluster.name, owner.bundle.namespace, owner.bundle.name);
      if (i === 0) {
        if (type === 'delete') t.byOwner[engine].delete(key);
        else t.byOwner[engine].set(key, obj);
      } else if (!seen.has(key) && t.byOwner[engine].get(key) === old) t.byOwner[engine].delete(key);
      if (seen.has(key)) continue;
      seen.add(key);
      for (const b of this.bundlesOf(owner.bundle.namespace, owner.bundle.name)) void this.recompute(b);
    }
  }

  /** The bundles a label pair names (the name itself, or a long name whose label value it is). */
  private bundlesOf(namespaceLabel: string, nameLabel: string): KureResource[] {
    const direct = this.o.cache.get('KureBundle', namespaceLabel, nameLabel);
    if (direct) return [direct];
    if (!/-[0-9a-f]{8}$/.test(nameLabel) && !/-[0-9a-f]{8}$/.test(namespaceLabel) && !/^[0-9a-f]{8}$/.test(nameLabel)) return [];
    const out: KureResource[] = [];
    for (const key of this.o.cache.index.clusters()) {
      for (const r of this.o.cache.index.subtree(`KureCluster/${key}`)) {
        if (r.kind === 'KureBundle' && labelValue(r.metadata.name) === nameLabel && labelValue(r.metadata.namespace ?? '') === namespaceLabel) out.push(r);
      }
    }
    return out;
  }

  /** A bundle changed (its status moved to a new commit, its generation): recompute it. */
  onBundle(type: EventType, obj: KureResource, old?: KureResource): void {
    if (obj.kind === 'KureCluster' && JSON.stringify(kubeconfigRefOf(obj) ?? null) !== JSON.stringify(kubeconfigRefOf(old) ?? null)) this.syncRemotes();
    if (type === 'delete' && obj.kind === 'KureCluster') this.syncRemotes();
    if (obj.kind !== 'KureBundle') return;
    if (type === 'delete') {
      this.bundleApplied.delete(bundleKey(obj));
      return;
    }
    if (old && currentCommit(old) === currentCommit(obj) && old.metadata.generation === obj.metadata.generation && clusterRefOf(old) === clusterRefOf(obj)) return;
    void this.recompute(obj);
  }

  /** Everything again (on becoming leader). */
  recomputeAll(): void {
    for (const key of this.o.cache.index.clusters()) for (const r of this.o.cache.index.subtree(`KureCluster/${key}`)) if (r.kind === 'KureBundle') void this.recompute(r);
  }

  private recomputeEngine(engine: EngineName): void {
    for (const key of this.o.cache.index.clusters()) {
      const c = this.o.cache.get('KureCluster', splitClusterKey(key).namespace, splitClusterKey(key).name);
      if (engineOf(c) !== engine) continue;
      for (const r of this.o.cache.index.subtree(`KureCluster/${key}`)) if (r.kind === 'KureBundle') void this.recompute(r);
    }
  }

  /** Computes and writes the bundle's Applied condition, then its cluster's summary. */
  async recompute(bundle: KureResource): Promise<void> {
    try {
      const key = this.o.cache.index.clusterOf(bundle);
      if (key === undefined) return;
      const { namespace, name } = splitClusterKey(key);
      const cluster = this.o.cache.get('KureCluster', namespace, name);
      if (!cluster) return;
      const engine = engineOf(cluster);
      const ref = kubeconfigRefOf(cluster);
      const remote = ref ? this.remotes.get(ref.secret) : undefined;
      const t = ref ? remote?.target : this.local;
      const unreadable = ref && !t ? (remote?.error ?? `Secret ${ref.secret} (spec.gitops.kubeconfigSecretRef): not read yet`) : t!.unreadable[engine];
      const object = t?.byOwner[engine].get(
        ownerKey(labelValue(namespace), labelValue(name), labelValue(bundle.metadata.namespace ?? ''), labelValue(bundle.metadata.name)),
      );
      const commit = currentCommit(bundle);
      const status = object?.status ?? {};
      const revision = revisionSha(engine === 'flux' ? status.lastAppliedRevision : (status.sync as { revision?: string } | undefined)?.revision);
      let answer: boolean | undefined;
      if (revision && commit && revision !== commit && typeof (bundle.spec as { path?: unknown } | undefined)?.path !== 'string') {
        const repo = repositoryOf(cluster as never);
        answer = repo.url && this.o.contains ? await this.o.contains(repo.url, repo.branch, revision, commit) : undefined;
      }
      const external = typeof (bundle.spec as { path?: unknown } | undefined)?.path === 'string';
      if (external) answer = undefined;
      const condition = appliedCondition({ engine, object, unreadable, commit, external, contains: (d, a) => (d === a ? true : answer) });
      // The condition speaks of the generation whose commit it compares.
      const generation = commit ? bundle.metadata.generation : undefined;
      this.bundleApplied.set(bundleKey(bundle), condition.status);
      if (!this.o.active()) return;
      this.o.statuses.enqueueSide(bundle, { condition: { ...condition, observedGeneration: generation } });
      this.summarise(key, cluster);
    } catch (err) {
      this.o.logger.warn({ err, bundle: bundleKey(bundle) }, 'computing the Applied condition failed');
    }
  }

  private summarise(key: ClusterKey, cluster: KureResource): void {
    const bundles = this.o.cache.index.subtree(`KureCluster/${key}`).filter((r) => r.kind === 'KureBundle');
    const sha = (cluster.status as { lastCommit?: { sha?: string } } | undefined)?.lastCommit?.sha;
    const s = appliedSummary(
      bundles.map((b) => ({ status: this.bundleApplied.get(bundleKey(b)) })),
      sha,
    );
    const all = s.total > 0 && s.applied === s.total;
    this.o.statuses.enqueueSide(cluster, {
      condition: {
        type: APPLIED,
        status: all ? 'True' : 'False',
        reason: all ? Reason.Applied : Reason.NotYetApplied,
        message: `applied ${s.summary}`,
        observedGeneration: cluster.metadata.generation,
      },
      fields: { applied: s.summary },
    });
  }
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const bundleKey = (b: KureResource) => `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
const clusterRefOf = (b: KureResource) => JSON.stringify((b.spec as { nodeRef?: unknown } | undefined)?.nodeRef ?? null);

function engineOf(c: KureResource | undefined): EngineName {
  const e = (c?.spec as { gitops?: { engine?: string } } | undefined)?.gitops?.engine;
  return e === 'argocd' ? 'argocd' : 'flux';
}

/** status.commit when it carries the bundle's current generation (Ready True at it), else undefined. */
export function currentCommit(bundle: KureResource): string | undefined {
  const status = bundle.status as { commit?: string; observedGeneration?: number; conditions?: { type: string; status: string; observedGeneration?: number }[] } | undefined;
  if (!status?.commit) return undefined;
  const ready = findCondition(status.conditions as never, READY) as { status: string; observedGeneration?: number } | undefined;
  if (!ready || ready.status !== 'True' || (ready.observedGeneration ?? status.observedGeneration) !== bundle.metadata.generation) return undefined;
  return status.commit;
}

