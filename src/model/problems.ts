// Problems name the object and field, in the one format every front door prints.
import type { KureResource } from '../api/schema.js';
import type { ObjectRef, Problem } from './types.js';

/** Status reasons for problems found in the input (the controller adds its own). */
export const Reason = {
  InvalidSpec: 'InvalidSpec',
  NotFound: 'NotFound',
  DependencyCycle: 'DependencyCycle',
  NotAllowed: 'NotAllowed',
  Duplicate: 'Duplicate',
} as const;
export type ProblemReason = (typeof Reason)[keyof typeof Reason];

export const refOf = (r: Pick<KureResource, 'kind' | 'metadata'>): ObjectRef => ({
  kind: r.kind,
  namespace: r.metadata.namespace ?? '',
  name: r.metadata.name,
});

export const refKey = (ref: ObjectRef): string => `${ref.kind}/${ref.namespace}/${ref.name}`;

export const formatRef = (ref: ObjectRef): string => `${ref.kind} ${ref.namespace}/${ref.name}`;

/** A refKey (`Kind/namespace/name`) as formatRef prints it (`Kind namespace/name`). */
export const formatRefKey = (key: string): string => key.replace('/', ' ');

export const formatProblem = (p: Problem): string => `${formatRef(p.ref)}: ${p.field}: ${p.message}`;

export const problem = (ref: ObjectRef, field: string, message: string, reason: ProblemReason = Reason.InvalidSpec): Problem => ({
  ref,
  field,
  message,
  reason,
});

/** Stable order for output: by object, then field, then message. */
export const sortProblems = (problems: Problem[]): Problem[] =>
  [...problems].sort((a, b) => cmp(formatProblem(a), formatProblem(b)));

/** Code-unit order: locale-independent, so sorted output is the same everywhere. */
export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Thrown by the builder and other library entry points when the input is invalid. */
export class ValidationError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`invalid input:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ValidationError';
  }
}
