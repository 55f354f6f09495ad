// The reconcile contract, after controller-runtime's pkg/reconcile. A Reconciler is level-triggered
// and idempotent: it reads the desired state from the caches, makes the world match it, and says
// how it went:
//   - it returns a Result: done; with `requeueAfterMs`, come back after that long (no backoff);
//   - it throws: a transient failure; the request is retried with exponential backoff;
//   - it throws a TerminalError: input that retrying cannot fix (an invalid spec, credentials the
//     server refused); not retried: the next change of the object (or of its Secret) brings it back.
// What a failure means for the user is in status, written by the reconciler before it returns or throws.

export interface Result {
  /** Reconcile again after this many milliseconds, without backoff. */
  requeueAfterMs?: number;
}

/** A failure the reconciler has already reported in status: logged once, without a stack. */
abstract class ReportedError extends Error {
  /** Logged without a stack (logger.ts isExpectedError). */
  readonly expected = true;
  constructor(
    message: string,
    /** The status reason the reconciler reported (metrics and logs). */
    readonly reason: string,
  ) {
    super(message);
  }
}

/** Input that retrying cannot fix: not retried. */
export class TerminalError extends ReportedError {
  override readonly name = 'TerminalError';
}

/** An expected transient failure (Git down, a 5xx): retried with backoff. */
export class TransientError extends ReportedError {
  override readonly name = 'TransientError';
}

export const isTerminal = (err: unknown): err is TerminalError => err instanceof TerminalError;

export interface Reconciler<Req> {
  reconcile(request: Req, signal: AbortSignal): Promise<Result>;
}

/** A reconcile request for a KureCluster (its members come with it). */
export interface ClusterRequest {
  readonly namespace: string;
  readonly name: string;
}

/** A reconcile request for one Kure object (`detached`: one that reaches no cluster; `in-use`: a node or bundle's finalizer). */
export interface ObjectRequest {
  readonly kind: 'KureCluster' | 'KureNode' | 'KureBundle' | 'KureApplication';
  readonly namespace: string;
  readonly name: string;
}
