// A fake Clock (src/clock.ts) for unit tests: time moves only when a test calls advance(), which
// fires the timers due on the way in order. Between timers it lets pending promise and setImmediate
// work run, so code driven by the clock (sleeps, backoffs, watchdogs) progresses with no real time.
import type { Clock, Timer } from '../../../src/clock.js';

/** Lets `rounds` turns of the event loop run (promise callbacks, setImmediate work); no real time passes. */
export const flush = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

/** Turns the event loop until `cond` holds; fails after `rounds` turns instead of after a real timeout. */
export const until = async (cond: () => boolean, rounds = 1000): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    if (i >= rounds) throw new Error(`condition not met after ${rounds} event-loop turns`);
    await new Promise((r) => setImmediate(r));
  }
};

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { due: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(timer: Timer): void {
    this.timers.delete(timer as number);
  }

  /** Timers not fired nor cleared yet. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing each timer due on the way (earliest first) and letting the work it starts run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].due <= end && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].due;
      next[1].fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}
