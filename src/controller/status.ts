// Status conditions, Flux style: reasons are named constants, small pure helpers build the next
// status, and the controller writes the status subresource only when it actually changed
// (comparing while ignoring lastTransitionTime, which only moves when a condition's status flips).
import type { ClusterStatus, CommonStatus, Condition } from '../api/schema.js';

export const READY = 'Ready';
/** kstatus: True while a new generation is being worked on or a transient failure is retried. */
export const RECONCILING = 'Reconciling';
/** kstatus: True when retrying cannot help (invalid spec, credentials refused) until the input changes. */
export const STALLED = 'Stalled';

export { Reason } from '../api/reasons.js';
import { Reason } from '../api/reasons.js';

export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** Condition messages are capped (metav1.Condition allows 32 KiB; keep events and kubectl readable). */
export const MAX_MESSAGE = 4096;

export function truncateMessage(message: string, max = MAX_MESSAGE): string {
  return message.length <= max ? message : `${message.slice(0, max - 20)}… (${message.length - max + 20} more)`;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns a new condition list with `input` set. lastTransitionTime is kept unless the condition is
 * new or its status changed (reason/message changes are not transitions).
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date): Condition[] {
  const existing = findCondition(conditions, input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: truncateMessage(input.message),
    ...(input.observedGeneration !== undefined ? { observedGeneration: input.observedGeneration } : {}),
    lastTransitionTime:
      existing && existing.status === input.status ? existing.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const others = (conditions ?? []).filter((c) => c.type !== input.type);
  return [...others, next].sort((a, b) => (a.type === READY ? -1 : b.type === READY ? 1 : a.type.localeCompare(b.type)));
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export function isReady(conditions: readonly Condition[] | undefined): boolean {
  return findCondition(conditions, READY)?.status === 'True';
}

type AnyStatus = CommonStatus & Partial<Pick<ClusterStatus, 'lastCommit'>>;

function normalize(status: AnyStatus | undefined): unknown {
  const { conditions, ...rest } = status ?? {};
  return {
    ...rest,
    conditions: [...(conditions ?? [])].map(({ lastTransitionTime: _ignored, ...c }) => c).sort((a, b) => a.type.localeCompare(b.type)),
  };
}

/** True when two statuses differ only in lastTransitionTime (or key order): no write needed. */
export function statusEqual(a: AnyStatus | undefined, b: AnyStatus | undefined): boolean {
  return stableStringify(normalize(a)) === stableStringify(normalize(b));
}

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
}

export interface ReadyInput {
  status: ConditionStatus;
  reason: string;
  message: string;
  /** Ready=False that retrying cannot fix: Stalled=True with the same reason and message. */
  stalled?: boolean;
  /** Ready=False that is being retried: Reconciling=True (ProgressingWithRetry). */
  retrying?: boolean;
}

/**
 * The status an object should have: observedGeneration = its generation, Ready as given; other
 * conditions and lastCommit are carried over unless replaced.
 */
export function nextStatus<S extends AnyStatus>(
  current: S | undefined,
  generation: number | undefined,
  ready: ReadyInput,
  now: Date,
  extra: Partial<Pick<ClusterStatus, 'lastCommit' | 'pullRequest'>> & { lastHandledReconcileAt?: string; commit?: string } = {},
): S {
  const { stalled, retrying, ...readyCondition } = ready;
  let conditions = setCondition(current?.conditions, { type: READY, ...readyCondition, observedGeneration: generation }, now);
  // Abnormal-true polarity (fluxcd/pkg apis/meta): present only while they are true.
  conditions = stalled
    ? setCondition(conditions, { type: STALLED, status: 'True', reason: ready.reason, message: ready.message, observedGeneration: generation }, now)
    : removeCondition(conditions, STALLED);
  conditions = retrying
    ? setCondition(conditions, { type: RECONCILING, status: 'True', reason: Reason.ProgressingWithRetry, message: ready.message, observedGeneration: generation }, now)
    : removeCondition(conditions, RECONCILING);
  const next: AnyStatus = { ...(current ?? {}), conditions, ...extra };
  if (generation !== undefined) next.observedGeneration = generation;
  return next as S;
}
