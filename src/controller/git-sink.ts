// Adapts src/git's GitSink (isomorphic-git: in-memory trees, fast-forward-only pushes with bounded
// retries, one cached clone per repository/branch) to the controller's Sink contract.
import { GitSink } from '../git/index.js';
import type { Sink } from './contracts.js';
import type { Logger } from './logger.js';

export function createGitSink(cacheDir: string, logger: Logger): Sink {
  return new GitSink({ cacheDir, logger: logger.child({ component: 'git' }) });
}
