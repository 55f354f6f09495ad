// The one sleep of Kure (the controller's loops and the Git sink's retries).

/** Waits `ms`, or less when `signal` aborts (resolves either way; never keeps the process alive). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    t.unref?.();
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
