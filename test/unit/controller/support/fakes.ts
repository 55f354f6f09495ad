// Fakes for reconciler tests: an in-memory cache that behaves like the informer caches (status
// patches land in it, as the watch would deliver them), a recording Git sink and event recorder.
import type { V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { KureKind, KureResource } from '../../../../src/api/schema.js';
import type { GitTarget, ResourceCache, Sink, SyncResult } from '../../../../src/controller/contracts.js';
import { CREDENTIALS_LABEL, isCredentialsSecret, type KureWriter } from '../../../../src/controller/kube.js';
import { FleetIndex } from '../../../../src/model/fleet-index.js';
import type { FileTree } from '../../../../src/model/types.js';

export class FakeCache implements ResourceCache {
  readonly objects = new Map<string, KureResource>();
  readonly secrets = new Map<string, V1Secret>();
  /** Kept up to date like the manager keeps the informers' index. */
  readonly index = new FleetIndex();
  private rv = 100;

  put(...objs: KureResource[]): void {
    for (const o of objs) {
      const key = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
      const prev = this.objects.get(key);
      const specChanged = !prev || JSON.stringify(prev.spec) !== JSON.stringify(o.spec);
      const generation = (prev?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
      const next = structuredClone({ ...o, metadata: { ...o.metadata, generation, resourceVersion: String(++this.rv), uid: `uid-${key}` } });
      this.objects.set(key, next);
      this.index.upsert(next);
    }
  }
  delete(kind: KureKind, namespace: string, name: string): void {
    const o = this.objects.get(`${kind}/${namespace}/${name}`);
    this.objects.delete(`${kind}/${namespace}/${name}`);
    if (o) this.index.delete(o);
  }
  patch(kind: KureKind, namespace: string, name: string, fn: (o: KureResource) => void): void {
    const o = this.objects.get(`${kind}/${namespace}/${name}`);
    if (!o) return;
    fn(o);
    o.metadata.resourceVersion = String(++this.rv);
    this.index.upsert(o);
  }
  /**
   * A Secret on the "API server"; the cache (secret()) sees it only when it carries
   * kure.dev/credentials=true (the default here), like the informer's label selector.
   */
  putSecret(namespace: string, name: string, data: Record<string, string>, labels: Record<string, string> = { [CREDENTIALS_LABEL]: 'true' }): void {
    const enc = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.secrets.set(`${namespace}/${name}`, { metadata: { namespace, name, labels }, data: enc });
  }
  get(kind: KureKind, namespace: string, name: string): KureResource | undefined {
    return this.objects.get(`${kind}/${namespace}/${name}`);
  }
  secret(namespace: string, name: string): V1Secret | undefined {
    const s = this.secrets.get(`${namespace}/${name}`);
    return isCredentialsSecret(s?.metadata) ? s : undefined;
  }
}

export class FakeKube implements KureWriter {
  readonly statusWrites: { kind: KureKind; namespace: string; name: string; status: Record<string, unknown> }[] = [];
  readonly finalizerWrites: { name: string; finalizers: string[] }[] = [];
  constructor(private readonly cache: FakeCache) {}
  async patchStatus(kind: KureKind, namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    this.statusWrites.push({ kind, namespace, name, status: structuredClone(status) });
    this.cache.patch(kind, namespace, name, (o) => (o.status = structuredClone(status) as KureResource['status']));
  }
  async setFinalizers(kind: KureKind, namespace: string, name: string, finalizers: string[]): Promise<void> {
    this.finalizerWrites.push({ name, finalizers });
    this.cache.patch(kind, namespace, name, (o) => (o.metadata.finalizers = [...finalizers]));
  }
  /** Direct reads: `full` returned a Secret's data, `metadata` only its metadata. */
  readonly secretReads: { namespace: string; name: string; view: 'full' | 'metadata' }[] = [];
  async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    this.secretReads.push({ namespace, name, view: 'full' });
    return structuredClone(this.cache.secrets.get(`${namespace}/${name}`));
  }
  async readSecretMetadata(namespace: string, name: string): Promise<V1ObjectMeta | undefined> {
    this.secretReads.push({ namespace, name, view: 'metadata' });
    return structuredClone(this.cache.secrets.get(`${namespace}/${name}`)?.metadata);
  }
  readyOf(kind: KureKind, namespace: string, name: string) {
    return (this.cache.get(kind, namespace, name)?.status?.conditions ?? []).find((c) => c.type === 'Ready');
  }
}

/** Holds one "remote" tree per url#branch; commits only when the owned path changes. */
export class FakeSink implements Sink {
  readonly remote = new Map<string, Map<string, string>>();
  readonly commits: { target: GitTarget; message: string; changedPaths: string[] }[] = [];
  readonly removes: GitTarget[] = [];
  fail: Error | undefined;
  /** Paths (relative to target.path) the next sync reports as restored hand edits. */
  drift: string[] = [];
  private n = 0;

  async sync(target: GitTarget, tree: FileTree, message: string | ((changed: string[], drifted: string[]) => string), _signal?: AbortSignal, keep?: (path: string) => boolean): Promise<SyncResult> {
    if (this.fail) throw this.fail;
    const key = `${target.url}#${target.branch}`;
    const files = this.remote.get(key) ?? new Map<string, string>();
    const prefix = target.path ? `${target.path}/` : '';
    const kept = (p: string) => p.startsWith(prefix) && !!keep?.(p.slice(prefix.length));
    const next = new Map([...files].filter(([p]) => !p.startsWith(prefix) || kept(p)));
    for (const [p, c] of tree) if (!(kept(prefix + p) && files.has(prefix + p))) next.set(prefix + p, c);
    const changed = [...new Set([...files.keys(), ...next.keys()])].filter((p) => files.get(p) !== next.get(p)).sort();
    if (changed.length === 0) return { changed: false, sha: `sha${this.n}`, changedPaths: [], attempts: 1, drifted: [] };
    this.remote.set(key, next);
    // Like the real sink: paths relative to target.path.
    const relative = changed.map((p) => p.slice(prefix.length));
    const drifted = relative.filter((p) => this.drift.includes(p));
    this.drift = [];
    const msg = typeof message === 'string' ? message : message(relative, drifted);
    this.commits.push({ target, message: msg, changedPaths: changed });
    return { changed: true, sha: `sha${++this.n}`, time: '2025-01-01T00:00:00Z', message: msg, changedPaths: relative, attempts: 1, drifted };
  }
  async remove(target: GitTarget, message: string): Promise<SyncResult> {
    if (this.fail) throw this.fail;
    this.removes.push(target);
    const key = `${target.url}#${target.branch}`;
    const files = this.remote.get(key) ?? new Map<string, string>();
    const prefix = `${target.path}/`;
    const gone = [...files.keys()].filter((p) => p.startsWith(prefix));
    for (const p of gone) files.delete(p);
    return { changed: gone.length > 0, sha: `sha${++this.n}`, message, changedPaths: gone.map((p) => p.slice(prefix.length)), attempts: 1, drifted: [] };
  }
}

export class FakeEvents {
  readonly events: { kind: string; name: string; type: string; reason: string; note: string }[] = [];
  async record(target: { kind: string; metadata: { name: string } }, type: string, reason: string, note: string): Promise<void> {
    this.events.push({ kind: target.kind, name: target.metadata.name, type, reason, note });
  }
}

export class GitError extends Error {
  override name = 'GitError';
  constructor(
    readonly kind: 'auth' | 'network' | 'conflict' | 'other',
    message: string,
  ) {
    super(message);
  }
}
