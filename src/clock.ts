// The one clock of Kure's timed loops (the work queue, the reflectors, sleep): real time by default;
// unit tests inject a fake one (test/unit/support/clock.ts) and need no real time.

/** An opaque timer handle, as returned by Clock.setTimeout. */
export type Timer = unknown;

export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Calls `fn` after `ms`; the timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

/** Real time. Looks the globals up on each call, so jest's fake timers still apply. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
};
