// Rules about one resource on its own: its shape (the schema the CRDs come from) and what the schema
// cannot say. Rules that need other resources (references, cycles, duplicates) live in assemble.ts.
import type { TSchema } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { ApplicationSpec, BundleSpec, ClusterSpec, DNS1123_LABEL, NodeSpec, type KureKind, type KureResource, type NodeSource } from '../api/schema.js';
import { NAME_MESSAGE, checkShape } from './check-shape.js';
import { MAX_DEPTH, checkDepth } from './limits.js';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, parseDuration } from './durations.js';
import { Reason, type ProblemReason } from './problems.js';
import { normalizeRepoPath } from './repo-path.js';

export interface FieldProblem {
  field: string;
  message: string;
  reason?: ProblemReason;
}

const SPEC_SCHEMA: Record<KureKind, TSchema> = {
  KureCluster: ClusterSpec,
  KureNode: NodeSpec,
  KureBundle: BundleSpec,
  KureApplication: ApplicationSpec,
};

const NAME_RE = new RegExp(DNS1123_LABEL);
export const isName = (v: unknown): v is string => typeof v === 'string' && v.length <= 63 && NAME_RE.test(v);

/** Shape errors per spec object: informer caches hand back the same objects until they change. */
const shapeCache = new WeakMap<object, FieldProblem[]>();

/** Metadata names and the spec's schema. A resource with any of these is not modelled. */
export function shapeProblems(r: KureResource): FieldProblem[] {
  const names: FieldProblem[] = [
    ...(isName(r.metadata.name) ? [] : [{ field: 'metadata.name', message: NAME_MESSAGE }]),
    ...(isName(r.metadata.namespace) ? [] : [{ field: 'metadata.namespace', message: NAME_MESSAGE }]),
  ];
  const spec = r.spec as object | undefined;
  if (typeof spec !== 'object' || spec === null) return [...names, ...checkShape(SPEC_SCHEMA[r.kind], spec, 'spec')];
  let errors = shapeCache.get(spec);
  if (!errors) shapeCache.set(spec, (errors = depthProblem(spec) ?? checkShape(SPEC_SCHEMA[r.kind], spec, 'spec')));
  return [...names, ...errors];
}

/**
 * A spec nested deeper than the input limit (src/model/limits.ts), as the only problem: the API
 * server accepts thousands of levels, and every recursive step after this one (the shape check,
 * key sorting, rendering) would overflow the stack on them, for the whole cluster.
 */
function depthProblem(spec: object): FieldProblem[] | undefined {
  const at = checkDepth(spec, MAX_DEPTH - 1);
  if (at === undefined) return undefined;
  const field = `spec${at.startsWith('[') ? '' : '.'}${at}`;
  return [{ field: field.length > 200 ? `${field.slice(0, 200)}…` : field, message: `is nested deeper than ${MAX_DEPTH} levels (the input limit); the resource is refused` }];
}

/** What the schema cannot say about a well-shaped resource. */
export function specProblems(r: KureResource): FieldProblem[] {
  const out: FieldProblem[] = [];
  const fail = (field: string, message: string, reason?: ProblemReason) => out.push({ field, message, ...(reason ? { reason } : {}) });
  switch (r.kind) {
    case 'KureCluster': {
      const path = normalizeRepoPath(r.spec.repository.path ?? `clusters/${r.metadata.name}`);
      if ('error' in path) fail('spec.repository.path', path.error);
      const dest = r.spec.gitops.argocd?.destination;
      if (dest?.server && dest.name) fail('spec.gitops.argocd.destination', 'set at most one of server and name');
      break;
    }
    case 'KureNode':
      if (Boolean(r.spec.clusterRef) === Boolean(r.spec.parentRef)) fail('spec', 'set exactly one of clusterRef and parentRef');
      if (r.spec.source) sourceProblems(r.spec.source, fail);
      break;
    case 'KureBundle':
      for (const f of ['interval', 'retryInterval', 'timeout'] as const) {
        const value = r.spec[f];
        const ms = value === undefined ? undefined : parseDuration(value);
        if (ms !== undefined && (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS)) fail(`spec.${f}`, `must be between 1s and 24h (got ${JSON.stringify(value)})`);
      }
      (r.spec.dependsOn ?? []).forEach((d, i) => {
        if (d.name === r.metadata.name) fail(`spec.dependsOn[${i}].name`, 'a bundle cannot depend on itself', Reason.DependencyCycle);
      });
      if (r.spec.path !== undefined) {
        const p = normalizeRepoPath(r.spec.path);
        if ('error' in p) fail('spec.path', p.error);
      }
      if (r.spec.tenancy && !r.spec.allowedNamespaces?.length)
        fail('spec.tenancy', 'tenancy applies to applications from other namespaces: set allowedNamespaces');
      fluxFieldProblems(r.spec, (r.spec.allowedNamespaces ?? []).some((n) => n !== r.metadata.namespace), fail);
      break;
    case 'KureApplication': {
      const set = (['manifests', 'helm', 'workload'] as const).filter((f) => r.spec[f] !== undefined);
      if (set.length !== 1)
        fail('spec', `set exactly one of manifests, helm and workload (${set.length === 0 ? 'none is set' : `got ${set.join(', ')}`})`);
      r.spec.manifests?.forEach((m, i) => manifestProblems(m, `spec.manifests[${i}]`, fail));
      const ports = r.spec.workload?.ports ?? [];
      const names = ports.map((p) => p.name).filter((n): n is string => n !== undefined);
      if (new Set(names).size !== names.length) fail('spec.workload.ports', 'port names must be unique');
      r.spec.workload?.env?.forEach((e, i) => {
        if (e.value !== undefined && e.valueFrom !== undefined) fail(`spec.workload.env[${i}]`, 'set at most one of value and valueFrom');
      });
      r.spec.helm?.dependsOn?.forEach((d, i) => {
        if (d.name === r.metadata.name) fail(`spec.helm.dependsOn[${i}].name`, 'an application cannot depend on itself', Reason.DependencyCycle);
      });
      if (r.spec.workload?.ingress && !r.spec.workload.service && ports.length === 0)
        fail('spec.workload.ingress', 'needs a service port or a container port to route to');
      break;
    }
  }
  return out;
}

type Fail = (field: string, message: string) => void;

function sourceProblems(s: NodeSource, fail: Fail): void {
  if (s.kind === 'OCIRepository' && !s.url.startsWith('oci://')) fail('spec.source.url', 'an OCIRepository url must start with oci://');
  if (s.kind === 'GitRepository' && !/^(https?|ssh):\/\//.test(s.url))
    fail('spec.source.url', 'a GitRepository url must start with http://, https:// or ssh://');
  if (s.kind === 'Bucket' && !/^(https?|s3|gs):\/\/[^/]+/.test(s.url))
    fail('spec.source.url', 'a Bucket url must be s3://<bucket>, gs://<bucket> or http(s)://<endpoint>/<bucket>');
  if (s.kind === 'Bucket' && s.ref) fail('spec.source.ref', 'a Bucket source takes no ref');
  const refs = Object.keys(s.ref ?? {});
  if (refs.length > 1) fail('spec.source.ref', `set at most one of branch, tag, semver, commit (got ${refs.join(', ')})`);
  if (s.kind === 'OCIRepository' && s.ref?.branch) fail('spec.source.ref.branch', 'an OCIRepository has no branches; use tag, semver or commit (digest)');
}

function manifestProblems(m: Record<string, unknown>, field: string, fail: Fail): void {
  if (typeof m.apiVersion !== 'string' || m.apiVersion === '') fail(`${field}.apiVersion`, 'is required');
  if (typeof m.kind !== 'string' || m.kind === '') fail(`${field}.kind`, 'is required');
  const meta = m.metadata as Record<string, unknown> | undefined;
  if (typeof meta?.name !== 'string' || meta.name === '') fail(`${field}.metadata.name`, 'is required');
  if (meta?.namespace !== undefined && !isName(meta.namespace)) fail(`${field}.metadata.namespace`, NAME_MESSAGE);
}

/** Flux variable names (fluxcd/pkg kustomize varsub). */
const VARIABLE = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** Argo CD sync options Kure knows (Application syncPolicy.syncOptions). */
export const ARGO_SYNC_OPTIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ['ApplyOutOfSyncOnly', ['true', 'false']],
  ['ClientSideApplyMigration', ['true', 'false']],
  ['CreateNamespace', ['true', 'false']],
  ['FailOnSharedResource', ['true', 'false']],
  ['Force', ['true', 'false']],
  ['PruneLast', ['true', 'false']],
  ['PrunePropagationPolicy', ['foreground', 'background', 'orphan']],
  ['Replace', ['true', 'false']],
  ['RespectIgnoreDifferences', ['true', 'false']],
  ['ServerSideApply', ['true', 'false']],
  ['SkipDryRunOnMissingResource', ['true', 'false']],
  ['Validate', ['true', 'false']],
]);

/** JSON 6902 paths a patch of a bundle that admits other namespaces may not write: they move or retype objects. */
const IDENTITY_PATHS = new Set(['', '/', '/metadata', '/metadata/namespace', '/kind', '/apiVersion']);

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

function fluxFieldProblems(spec: BundleSpec, admitsOthers: boolean, fail: Fail): void {
  spec.patches?.forEach((p, i) => {
    const field = `spec.patches[${i}].patch`;
    let doc: unknown;
    try {
      doc = parseYaml(p.patch);
    } catch (e) {
      return fail(field, `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (Array.isArray(doc)) {
      // kustomize (and so Flux and Argo CD) reads a patch that starts with [ as JSON, not YAML.
      if (p.patch.trimStart().startsWith('[') && !isJson(p.patch))
        fail(field, 'starts with [, so kustomize reads it as JSON, and it is not valid JSON; write the operations as JSON, or as a YAML block list (- op: ...)');
      if (p.target === undefined) fail(`spec.patches[${i}].target`, 'is required for a JSON 6902 patch (a list of operations)');
      doc.forEach((op, j) => {
        const o = (op ?? {}) as Record<string, unknown>;
        if (typeof o.op !== 'string' || typeof o.path !== 'string')
          return fail(field, `operation ${j} needs op and path (JSON 6902)`);
        // `from` of move removes what it names: moving metadata.namespace away moves the object too.
        const touched = [o.path, ...(o.op === 'move' && typeof o.from === 'string' ? [o.from] : [])].find((at) => IDENTITY_PATHS.has(at.replace(/\/+$/, '')));
        if (admitsOthers && touched !== undefined)
          fail(
            field,
            `operation ${j} changes ${touched}; the bundle admits applications from other namespaces (spec.allowedNamespaces), and a patch reaches their objects too, so it may not change metadata.namespace, kind or apiVersion`,
          );
      });
    } else if (doc !== null && typeof doc === 'object') {
      const meta = (doc as Record<string, unknown>).metadata as Record<string, unknown> | undefined;
      if (admitsOthers && p.target !== undefined && meta !== null && typeof meta === 'object' && 'namespace' in meta)
        fail(
          field,
          'sets metadata.namespace; the bundle admits applications from other namespaces (spec.allowedNamespaces), and a patch reaches their objects too, so it may not move objects to another namespace',
        );
    } else fail(field, 'must be a strategic merge patch (an object) or a JSON 6902 patch (a list of operations)');
  });
  for (const name of Object.keys(spec.postBuild?.substitute ?? {}))
    if (!VARIABLE.test(name)) fail(`spec.postBuild.substitute.${name}`, 'a variable name is letters, digits and _, not starting with a digit');
  if (spec.components !== undefined && spec.path === undefined)
    fail('spec.components', 'is only allowed with spec.path (a bundle of a node source): Kure writes the directories of other bundles itself, so there are no components in them');
  spec.argocd?.syncOptions?.forEach((o, i) => {
    const [name = '', value = ''] = o.split('=');
    const values = ARGO_SYNC_OPTIONS.get(name);
    if (values === undefined) fail(`spec.argocd.syncOptions[${i}]`, `unknown sync option ${name}; Kure knows ${[...ARGO_SYNC_OPTIONS.keys()].join(', ')}`);
    else if (!values.includes(value)) fail(`spec.argocd.syncOptions[${i}]`, `${name} takes ${values.join(' or ')}`);
  });
}
