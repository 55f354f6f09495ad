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

export class TerminalError extends Error {
  override readonly name = 'TerminalError';
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

/** An expected transient failure the reconciler already reported in status (Git down, a 5xx): retried with backoff, logged without a stack. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  readonly expected = true;
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
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

/** A reconcile request for one Kure object that reaches no cluster (its status says why). */
export interface DetachedRequest {
  readonly kind: 'KureCluster' | 'KureNode' | 'KureBundle' | 'KureApplication';
  readonly namespace: string;
  readonly name: string;
}
