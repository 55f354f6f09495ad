// Shapes and small pure helpers shared by the engine renderers and the application generators.
import { cmp } from '../model/problems.js';
import type { ObjectRef } from '../model/types.js';

export { toYaml } from './yaml.js';

/** Metadata of a generated Kubernetes object. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** A Kubernetes object as the renderer emits it (plain data; key order is the output order). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/**
 * Receives every generated Kubernetes object with its file (relative to repository.path), the Kure
 * resource it comes from and the field of that resource (one per object, or one for all), so that
 * the output can be checked against the kinds' schemas before anything is written.
 */
export type Collect = (file: string, objects: readonly Record<string, unknown>[], owner: ObjectRef, fields: readonly string[] | string) => void;

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kure' } as const;

export const FLUX_KUSTOMIZE_API = 'kustomize.toolkit.fluxcd.io/v1';
export const FLUX_SOURCE_API = 'source.toolkit.fluxcd.io/v1';
export const FLUX_HELM_API = 'helm.toolkit.fluxcd.io/v2';
export const ARGO_API = 'argoproj.io/v1alpha1';
export const KUSTOMIZE_API = 'kustomize.config.k8s.io/v1beta1';

/** A kustomize.config.k8s.io/v1beta1 Kustomization listing `resources` (sorted here). */
export function kustomization(resources: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: KUSTOMIZE_API, kind: 'Kustomization', resources: sortStrings(resources), ...extra };
}

/** Sorted in code-unit order (locale-independent, so the output is the same everywhere). */
export function sortStrings(values: readonly string[]): string[] {
  return [...values].sort(cmp);
}

/** Joins path segments with '/', skipping empty ones (repository.path may be the repository root). */
export function joinPath(...segments: string[]): string {
  return segments.filter((s) => s !== '').join('/');
}

/** Normalises a user path inside a source: no leading './' or '/', no trailing '/', '.' → ''. */
export function normalizePath(path: string): string {
  let p = path.trim();
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '');
  return p === '.' ? '' : p;
}

/** Flux paths are written `./rel/path` (what the flux CLI emits); the root is `./`. */
export function fluxPath(path: string): string {
  return `./${normalizePath(path)}`;
}

/** Argo CD paths are written `rel/path`; the root is `.`. */
export function argoPath(path: string): string {
  return normalizePath(path) || '.';
}

/**
 * File name for `base` inside a directory that also holds a `kustomization.yaml`: `<base>.yaml`,
 * or `<base>.<qualifier>.yaml` when `base` is `kustomization` (names are DNS-1123 labels, so a
 * dotted name can never collide with an undotted one).
 */
export function yamlFileName(base: string, qualifier: string): string {
  return base === 'kustomization' ? `${base}.${qualifier}.yaml` : `${base}.yaml`;
}

/** A non-empty string map, or undefined (so that empty maps are not emitted). */
export function nonEmpty<T extends Record<string, unknown>>(map: T | undefined): T | undefined {
  return map !== undefined && Object.keys(map).length > 0 ? map : undefined;
}

/** Drops keys whose value is undefined, keeping key order. */
export function compact<T extends Record<string, unknown>>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** The API group of an apiVersion (`apps/v1` → `apps`, `v1` → ``). */
export function apiGroup(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return '';
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/**
 * Throws when two objects of one kustomize directory have the same id (group, kind, namespace,
 * name): kustomize refuses them ("may not add resource with an already registered id") and Flux /
 * Argo CD would fail the whole directory, so failing early with a clear message is kinder.
 */
export function assertUniqueIds(objects: readonly Record<string, unknown>[], where: string, ids = objects.map(objectId)): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (!seen.has(id)) return void seen.add(id);
    const o = objects[i] as Record<string, unknown>;
    const meta = (o.metadata ?? {}) as Record<string, unknown>;
    const ns = meta.namespace === undefined ? '' : `${String(meta.namespace)}/`;
    throw new Error(`render: ${where}: two objects ${String(o.kind)} ${ns}${String(meta.name)} (same group, kind, namespace and name)`);
  });
}

/** The id kustomize gives an object: group, kind, namespace, name. */
export function objectId(o: Record<string, unknown>): string {
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  return [apiGroup(o.apiVersion), String(o.kind), String(meta.namespace ?? ''), String(meta.name ?? '')].join('|');
}

/** A file tree with its paths in order (FileTree's contract). */
export const sortedTree = (tree: Map<string, string>): Map<string, string> => new Map([...tree.entries()].sort(([a], [b]) => cmp(a, b)));
