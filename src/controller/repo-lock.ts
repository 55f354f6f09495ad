// Clusters that share a repository URL and branch push one at a time: each push would otherwise
// race the other's fast-forward and burn retries. Keyed FIFO mutex; different repos run in parallel.

export function repoLockKey(url: string, branch: string): string {
  let normalized = url.trim();
  try {
    const u = new URL(normalized);
    u.username = '';
    u.password = '';
    u.hash = '';
    normalized = u.toString();
  } catch {
    // keep as given
  }
  return `${normalized.replace(/\/+$/, '').replace(/\.git$/, '')}#${branch}`;
}

export class RepoLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` when every earlier holder of `key` has finished. */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Number of repositories with a holder or waiters (for tests). */
  size(): number {
    return this.tails.size;
  }
}
