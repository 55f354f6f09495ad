// The Applied condition of a KureBundle: what the engine (Flux or Argo CD) says of the object Kure
// rendered for the bundle, at the commit Kure pushed for the bundle's current generation. Pure: the
// engine object's status, the bundle's commit and an ancestry answer in, a condition out.
//
// On a shared fleet branch the engine's applied revision is often a later commit (another
// cluster's, or a person's): "applied at my commit" means the applied revision holds the bundle's
// commit (equal, or a descendant of it), which the caller answers from the Git cache.
import { Reason } from '../api/reasons.js';
import type { ConditionInput } from './status.js';

export const APPLIED = 'Applied';

export type EngineName = 'flux' | 'argocd';

/** The fields read from a Flux Kustomization or an Argo CD Application. */
export interface EngineObject {
  metadata?: { name?: string; namespace?: string; generation?: number; labels?: Record<string, string> };
  status?: Record<string, unknown>;
}

/** Does commit `descendant` hold commit `ancestor`? undefined: cannot tell. */
export type Contains = (descendant: string, ancestor: string) => boolean | undefined;

export interface AppliedInput {
  engine: EngineName;
  /** The engine object, undefined when it does not exist (yet). */
  object: EngineObject | undefined;
  /** Set when the engine objects cannot be read (CRD absent, access denied, watch failing). */
  unreadable?: string;
  /** The commit that carries the bundle's current generation (its status.commit). */
  commit: string | undefined;
  contains: Contains;
  /**
   * The bundle reads its own source (spec.path on a node with a source): the engine's revision is of
   * that repository, not Kure's, so only Ready / Synced+Healthy counts, not ancestry.
   */
  external?: boolean;
}

type Cond = Omit<ConditionInput, 'type' | 'observedGeneration'>;

const short = (sha: string) => sha.slice(0, 12);

/** The commit SHA of an engine revision: Flux `main@sha1:<sha>` / `sha1:<sha>` / `<sha>`, Argo CD `<sha>`. */
export function revisionSha(revision: unknown): string | undefined {
  if (typeof revision !== 'string' || revision === '') return undefined;
  const m = /(?:^|[@:])([0-9a-f]{40}|[0-9a-f]{64})$/.exec(revision);
  return m?.[1];
}

interface EngineCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

function conditions(status: Record<string, unknown> | undefined): EngineCondition[] {
  const c = status?.conditions;
  return Array.isArray(c) ? (c as EngineCondition[]) : [];
}

/** The bundle's Applied condition (type Applied), from what the engine reports. */
export function appliedCondition(input: AppliedInput): ConditionInput {
  return { type: APPLIED, ...decide(input) };
}

function decide(input: AppliedInput): Cond {
  const what = input.engine === 'flux' ? 'Flux Kustomization' : 'Argo CD Application';
  if (input.unreadable !== undefined) return { status: 'Unknown', reason: Reason.EngineUnreadable, message: input.unreadable };
  if (input.commit === undefined) return { status: 'Unknown', reason: Reason.NotPushed, message: 'Kure has not pushed a commit for this generation yet' };
  const obj = input.object;
  const name = `${what} ${obj?.metadata?.namespace ?? ''}/${obj?.metadata?.name ?? ''}`;
  if (obj === undefined) return { status: 'False', reason: Reason.EngineObjectNotFound, message: `the ${what} of this bundle does not exist (yet)` };
  return input.engine === 'flux' ? flux(input, obj, name) : argocd(input, obj, name);
}

/** Commit held by `revision`? → a condition when it is not (yet), undefined when it is. */
function atCommit(input: AppliedInput, name: string, revision: unknown, verb: string): Cond | undefined {
  const commit = input.commit!;
  if (input.external) return undefined;
  const sha = revisionSha(revision);
  if (sha === undefined) return { status: 'False', reason: Reason.NotYetApplied, message: `${name} has not ${verb} any revision yet; waiting for ${short(commit)}` };
  const holds = sha === commit ? true : input.contains(sha, commit);
  if (holds === true) return undefined;
  if (holds === false) return { status: 'False', reason: Reason.NotYetApplied, message: `${name} ${verb} ${short(sha)}, which does not hold ${short(commit)} yet` };
  return { status: 'Unknown', reason: Reason.AncestryUnknown, message: `${name} ${verb} ${short(sha)}; Kure cannot tell whether it holds ${short(commit)} (not in its Git cache)` };
}

function flux(input: AppliedInput, obj: EngineObject, name: string): Cond {
  const status = obj.status ?? {};
  const ready = conditions(status).find((c) => c.type === 'Ready');
  const generation = obj.metadata?.generation;
  const observed = typeof status.observedGeneration === 'number' ? status.observedGeneration : undefined;
  if (ready === undefined) return { status: 'False', reason: Reason.Progressing, message: `${name} has no Ready condition yet` };
  if (ready.status !== 'True') {
    return { status: 'False', reason: ready.reason || Reason.Progressing, message: `${name}: ${ready.message ?? ''}`.replace(/: $/, '') };
  }
  if (generation !== undefined && observed !== undefined && observed < generation)
    return { status: 'False', reason: Reason.Progressing, message: `${name} has not observed generation ${generation} yet` };
  const not = atCommit(input, name, status.lastAppliedRevision, 'applied');
  if (not) return not;
  return { status: 'True', reason: Reason.Applied, message: `${name} is Ready at ${String(status.lastAppliedRevision)}` };
}

const HEALTHY = 'Healthy';

function argocd(input: AppliedInput, obj: EngineObject, name: string): Cond {
  const status = obj.status ?? {};
  const sync = (status.sync ?? {}) as { status?: string; revision?: string };
  const health = (status.health ?? {}) as { status?: string; message?: string };
  const op = (status.operationState ?? {}) as { phase?: string; message?: string; syncResult?: { revision?: string } };
  // Errors Argo CD records on the Application (ComparisonError, InvalidSpecError, SyncError, ...).
  const error = conditions(status).find((c) => typeof c.type === 'string' && /Error$/.test(c.type));
  if (error) return { status: 'False', reason: error.type!, message: `${name}: ${error.message ?? ''}` };
  if (op.phase === 'Failed' || op.phase === 'Error')
    return { status: 'False', reason: `Sync${op.phase === 'Error' ? 'Error' : 'Failed'}`, message: `${name}: ${op.message ?? 'sync failed'}` };
  if (sync.status !== 'Synced')
    return { status: 'False', reason: sync.status || Reason.Progressing, message: `${name} is ${sync.status ?? 'not compared yet'} at ${sync.revision ? short(sync.revision) : '(none)'}` };
  const not = atCommit(input, name, sync.revision, 'synced');
  if (not) return not;
  if (health.status !== HEALTHY)
    return { status: 'False', reason: health.status || Reason.Progressing, message: `${name} is Synced but ${health.status ?? 'of unknown health'}${health.message ? `: ${health.message}` : ''}` };
  return { status: 'True', reason: Reason.Applied, message: `${name} is Synced and Healthy at ${sync.revision}` };
}

export interface BundleApplied {
  /** Applied condition status of the bundle. */
  status: string | undefined;
}

/** The cluster's summary: `N/M at <sha>` (bundles Applied=True of those it renders). */
export function appliedSummary(bundles: readonly BundleApplied[], lastCommit: string | undefined): { applied: number; total: number; summary: string } {
  const applied = bundles.filter((b) => b.status === 'True').length;
  const total = bundles.length;
  return { applied, total, summary: `${applied}/${total}${lastCommit ? ` at ${short(lastCommit)}` : ''}` };
}
