// The one sleep of Kure (the controller's loops and the Git sink's retries).
import { realClock, type Clock } from './clock.js';

/** Waits `ms` on `clock`, or less when `signal` aborts (resolves either way; never keeps the process alive). */
export const sleep = (ms: number, signal?: AbortSignal, clock: Clock = realClock): Promise<void> =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = clock.setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clock.clearTimeout(t), resolve()), { once: true });
  });
