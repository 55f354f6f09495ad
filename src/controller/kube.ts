// The controller's narrow view of the API server. The reconciler, events and leader election talk
// to these interfaces (fakes in unit tests); KubeApi implements them with @kubernetes/client-node.
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  V1MicroTime,
  Watch,
  setHeaderOptions,
  type EventsV1Event,
  type V1Lease,
  type V1ObjectMeta,
  type V1Secret,
} from '@kubernetes/client-node';
import { GROUP, VERSION, type KureKind, type KureResource } from '../api/schema.js';
import { KINDS } from '../api/kinds.js';
import type { ListResult, WatchFn } from './informers.js';
import type { Poke } from './notify.js';

/**
 * The label that makes a Secret visible to Kure. The Secret informer lists and watches only Secrets
 * labelled `kure.dev/credentials=true`, so no other Secret (another team's, a service account token)
 * ever reaches Kure's memory.
 */
export const CREDENTIALS_LABEL = 'kure.dev/credentials';
export const CREDENTIALS_SELECTOR = `${CREDENTIALS_LABEL}=true`;

/** Whether a Secret's metadata carries kure.dev/credentials=true. */
export function isCredentialsSecret(metadata: Pick<V1ObjectMeta, 'labels'> | undefined): boolean {
  return metadata?.labels?.[CREDENTIALS_LABEL] === 'true';
}

/**
 * What the Secret cache keeps of a (labelled) Secret: its identity, resourceVersion and labels, and its
 * data only when `keepData` (some KureCluster references it). Annotations and managedFields are dropped:
 * `kubectl apply` writes the whole Secret, data included, into kubectl.kubernetes.io/last-applied-configuration.
 */
export function secretForCache(secret: V1Secret, keepData: boolean): V1Secret {
  const m = secret.metadata ?? {};
  const metadata: V1ObjectMeta = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels };
  return keepData ? { metadata, type: secret.type, data: secret.data } : { metadata };
}

export interface SecretData {
  /** Decoded values (from base64 `data`, or `stringData` if a fake supplies it). */
  [key: string]: string;
}

/** Writes of the reconciler. */
export interface KureWriter {
  /** Merge-patches the status subresource. Missing object: resolves quietly. */
  patchStatus(kind: KureKind, namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  /** Sets metadata.finalizers (optimistic: fails with 409 when resourceVersion moved). */
  setFinalizers(kind: KureKind, namespace: string, name: string, finalizers: string[], resourceVersion?: string): Promise<void>;
  /** Reads a Secret directly (a labelled Secret whose data the cache dropped); undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /**
   * Reads only a Secret's metadata (a GET as PartialObjectMetadata: the API server sends no data), to
   * tell a Secret that does not exist from one that lacks the kure.dev/credentials label; undefined
   * when it does not exist.
   */
  readSecretMetadata(namespace: string, name: string): Promise<V1ObjectMeta | undefined>;
}

export interface EventWriter {
  createEvent(namespace: string, event: EventsV1Event): Promise<EventsV1Event>;
  patchEventSeries(namespace: string, name: string, series: { count: number; lastObservedTime: Date }): Promise<void>;
}

export interface LeaseClient {
  readLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  createLease(namespace: string, lease: V1Lease): Promise<V1Lease>;
  replaceLease(namespace: string, name: string, lease: V1Lease): Promise<V1Lease>;
}

export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** The call's result, or undefined when the object is gone (404); other errors propagate. */
async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** Items per page of a LIST. */
export const LIST_PAGE = 500;

/**
 * What the cache keeps of a Kure object: no managedFields and no last-applied copy (together
 * often more than the object itself; at 100,000 objects they are most of the controller's memory).
 */
export function kureForCache(kind: KureKind): (obj: KureResource) => KureResource {
  return (obj) => {
    const { managedFields: _m, ...metadata } = obj.metadata as KureResource['metadata'] & { managedFields?: unknown };
    if (metadata.annotations?.[LAST_APPLIED] !== undefined) {
      const { [LAST_APPLIED]: _l, ...rest } = metadata.annotations;
      metadata.annotations = rest;
    }
    return { ...obj, metadata, kind, apiVersion: `${GROUP}/${VERSION}` } as KureResource;
  };
}
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function decodeSecret(secret: V1Secret | undefined): SecretData | undefined {
  if (!secret) return undefined;
  const out: SecretData = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries((secret as { stringData?: Record<string, string> }).stringData ?? {})) out[k] = v;
  return out;
}

export function loadKubeConfig(kubeconfig?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault(); // $KUBECONFIG, ~/.kube/config, then in-cluster
  return kc;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
// The server-side metadata-only view (what controller-runtime's metadata client asks for); plain JSON as
// the fallback of a server that does not offer it, of which only metadata is kept.
const metadataOnly = setHeaderOptions('Accept', 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json');

export class KubeApi implements KureWriter, EventWriter, LeaseClient {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly events: EventsV1Api;
  readonly coordination: CoordinationV1Api;
  private readonly watcher: Watch;

  constructor(
    readonly kc: KubeConfig,
    /** Client-side inactivity limit of a watch stream; a backstop behind the server-side timeout. */
    watchInactivityMs = 330_000,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.events = kc.makeApiClient(EventsV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.watcher = new Watch(kc);
    // client-node aborts a watch after 30 s without data; we want the server-side timeout to close
    // watches and this timer only to catch dead streams. The field is private in the typings.
    (this.watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs = watchInactivityMs;
  }

  readonly watch: WatchFn = (path, params, callback, done) => this.watcher.watch(path, params, callback, done);

  kurePath(kind: KureKind, namespace?: string): string {
    const plural = KINDS[kind].plural;
    return namespace ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}` : `/apis/${GROUP}/${VERSION}/${plural}`;
  }

  secretPath(namespace?: string): string {
    return namespace ? `/api/v1/namespaces/${namespace}/secrets` : '/api/v1/secrets';
  }

  /**
   * Lists a Kure kind in pages of LIST_PAGE (a fleet's 100,000 applications are one response
   * otherwise: hundreds of MB parsed at once), each item reduced to what the cache keeps at once.
   */
  async listKure(kind: KureKind, namespace?: string): Promise<ListResult<KureResource>> {
    const plural = KINDS[kind].plural;
    const items: KureResource[] = [];
    let _continue: string | undefined;
    let resourceVersion = '';
    do {
      const page = (
        namespace
          ? await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, limit: LIST_PAGE, _continue })
          : await this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural, limit: LIST_PAGE, _continue })
      ) as { items?: KureResource[]; metadata?: { resourceVersion?: string; continue?: string } };
      for (const i of page.items ?? []) items.push(kureForCache(kind)(i));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      _continue = page.metadata?.continue || undefined;
    } while (_continue);
    return { items, resourceVersion };
  }

  /** Lists the Secrets that match `labelSelector` (Kure's informer: CREDENTIALS_SELECTOR). */
  async listSecrets(namespace: string | undefined, labelSelector: string): Promise<ListResult<V1Secret>> {
    const list = namespace ? await this.core.listNamespacedSecret({ namespace, labelSelector }) : await this.core.listSecretForAllNamespaces({ labelSelector });
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async patchStatus(kind: KureKind, namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    await unlessNotFound(
      this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: KINDS[kind].plural, name, body: { status }, fieldManager: 'kure-controller' },
        mergePatch,
      ),
    );
  }

  async setFinalizers(kind: KureKind, namespace: string, name: string, finalizers: string[], resourceVersion?: string): Promise<void> {
    const metadata: Record<string, unknown> = { finalizers: finalizers.length ? finalizers : null };
    if (resourceVersion) metadata.resourceVersion = resourceVersion;
    await unlessNotFound(
      this.custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace, plural: KINDS[kind].plural, name, body: { metadata }, fieldManager: 'kure-controller' },
        mergePatch,
      ),
    );
  }

  readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return unlessNotFound(this.core.readNamespacedSecret({ namespace, name }));
  }

  async readSecretMetadata(namespace: string, name: string): Promise<V1ObjectMeta | undefined> {
    const partial = await this.readSecretPartial(namespace, name);
    // Only what tells "unlabelled" apart: annotations may hold the data (last-applied-configuration).
    return partial && secretForCache({ metadata: { namespace, name, ...partial.metadata } }, false).metadata;
  }

  /** The server's answer to a metadata-only GET (a PartialObjectMetadata: no data); undefined on 404. */
  readSecretPartial(namespace: string, name: string): Promise<V1Secret | undefined> {
    return unlessNotFound(this.core.readNamespacedSecret({ namespace, name }, metadataOnly));
  }

  createEvent(namespace: string, event: EventsV1Event): Promise<EventsV1Event> {
    return this.events.createNamespacedEvent({ namespace, body: event });
  }

  async patchEventSeries(namespace: string, name: string, series: { count: number; lastObservedTime: Date }): Promise<void> {
    await this.events.patchNamespacedEvent(
      // MicroTime: the API server accepts exactly six fractional digits (Date.toISOString gives three: 422).
      { namespace, name, body: { series: { count: series.count, lastObservedTime: new V1MicroTime(series.lastObservedTime).toISOString() } } },
      mergePatch,
    );
  }

  readLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    return unlessNotFound(this.coordination.readNamespacedLease({ namespace, name }));
  }

  createLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    return this.coordination.createNamespacedLease({ namespace, body: lease });
  }

  replaceLease(namespace: string, name: string, lease: V1Lease): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({ namespace, name, body: lease });
  }

  /** Merge-patches metadata.annotations of a GitOps engine's object (notify.ts). */
  async patchAnnotations(p: Poke): Promise<void> {
    const { group, version, plural, namespace, name, annotations } = p;
    await this.custom.patchNamespacedCustomObject({ group, version, namespace, plural, name, body: { metadata: { annotations } }, fieldManager: 'kure-controller' }, mergePatch);
  }
}
