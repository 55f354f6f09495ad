// The Git sink: makes one directory (`GitTarget.path`) of one branch hold exactly a FileTree.
//
// Per sync: one ref discovery; a shallow fetch only when the branch moved; the owned path's trees
// are rebuilt in memory (tree.ts) and only changed blobs and the trees above them are written;
// everything outside the path is carried over by id; one commit (writeCommit, never the index);
// one push of exactly the new objects, as a compare-and-swap from the head we built on. A
// rejected push (the branch moved) means: fetch, rebuild on the new head, try again, bounded.
// Never a force push, never an empty commit.
import type { Logger } from 'pino';
import type { FileTree } from '../model/types.js';
import { credentials, type Credentials, type GitAuth } from './auth.js';
import { GitError, toGitError } from './errors.js';
import { normaliseOwnedPath } from './paths.js';
import { CachedRepo } from './repo.js';
import { discoverRefs, isStaleRefReason, receivePack, StaleWantError, ZERO_OID } from './smart-http.js';
import { OwnedTree } from './tree.js';

export interface GitTarget {
  /** `https://` (or `http://` for local use); userinfo in it is used as credentials and never logged. */
  url: string;
  branch: string;
  /** Repository-relative directory Kure owns ('' is not allowed). */
  path: string;
  auth?: GitAuth;
  author: { name: string; email: string };
}

export interface SyncResult {
  /** A commit was pushed. */
  changed: boolean;
  /** The branch head after the sync ('' when the branch does not exist and nothing was written). */
  sha: string;
  /** Commit time (ISO 8601) when a commit was pushed. */
  time?: string;
  message?: string;
  /** Paths relative to `target.path` that were added, modified or removed; sorted. */
  changedPaths: string[];
  /** Push attempts (1 unless the branch moved under us). */
  attempts: number;
  /**
   * The changed paths that restore a file edited outside Kure: the branch held something else there
   * than what Kure last pushed, and the desired content is what Kure last pushed. Known only when
   * this process pushed the path before (after a restart an edit is indistinguishable from a change).
   */
  drifted: string[];
}

export interface GitSinkOptions {
  /** Where the cached clones live (one bare repository per URL and branch). */
  cacheDir: string;
  logger?: Logger;
  /** Push attempts before giving up with a `conflict` GitError (default 5). */
  maxAttempts?: number;
  /** Per HTTP request (default 60 s). */
  timeoutMs?: number;
}

export type CommitMessage = string | ((changedPaths: string[], drifted: string[]) => string);

export class GitSink {
  private readonly repos = new Map<string, CachedRepo>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly maxAttempts: number;

  constructor(private readonly opts: GitSinkOptions) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  }

  /** Make `target.path` in the branch hold exactly `tree` (paths relative to target.path); commit+push only when it differs. */
  sync(target: GitTarget, tree: FileTree, message: CommitMessage, signal?: AbortSignal): Promise<SyncResult> {
    return this.run(target, tree, message, signal);
  }

  /** Remove target.path in one commit (deletionPolicy Delete). No-op when already absent. */
  remove(target: GitTarget, message: string, signal?: AbortSignal): Promise<SyncResult> {
    return this.run(target, new Map(), message, signal);
  }

  private async run(target: GitTarget, tree: FileTree, message: CommitMessage, signal?: AbortSignal): Promise<SyncResult> {
    const owned = normaliseOwnedPath(target.path);
    if (!target.branch || /(^|\/)\.|\.\.|[\s~^:?*[\\]|\/$/.test(target.branch)) {
      throw new GitError('other', `invalid branch name "${target.branch}"`);
    }
    const creds = credentials(target.url, target.auth);
    const key = `${creds.url}\n${target.branch}`;
    let repo = this.repos.get(key);
    if (!repo) {
      repo = new CachedRepo(this.opts.cacheDir, creds.url, target.branch);
      this.repos.set(key, repo);
    }
    const r = repo;
    // One operation at a time per repository and branch: they share the cached clone.
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.syncLocked(r, creds, target, owned, tree, message, signal));
    this.queues.set(key, next);
    try {
      return await next;
    } finally {
      if (this.queues.get(key) === next) this.queues.delete(key);
    }
  }

  private async syncLocked(
    repo: CachedRepo,
    creds: Credentials,
    target: GitTarget,
    owned: string,
    desired: FileTree,
    message: CommitMessage,
    signal?: AbortSignal,
    fresh = false,
  ): Promise<SyncResult> {
    const where = `${creds.url} (branch ${target.branch})`;
    const log = this.opts.logger?.child({ url: creds.url, branch: target.branch, path: owned });
    const http = { headers: creds.headers, signal, timeoutMs: this.opts.timeoutMs };
    const remote = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        const e = toGitError(err, `${what} ${where}`, creds.scrub);
        log?.warn({ kind: e.kind, err: e.message }, 'git remote operation failed');
        throw e;
      }
    };
    const components = owned.split('/');
    const started = performance.now();
    let lastReason = '';
    /** What Kure last pushed to the path, when the branch turned out to hold something else. */
    let lastPushed: OwnedTree | undefined;

    try {
      await repo.init();
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        signal?.throwIfAborted();
        // 1. Where is the branch now? Fetch only when it moved to a commit we do not hold.
        const adv = await remote('read refs of', () => discoverRefs(creds.url, 'git-upload-pack', http));
        const head = adv.refs.get(repo.ref);
        if (head !== undefined && head !== repo.head) {
          if (await repo.has(head)) await repo.setHead(head);
          else {
            log?.debug({ head }, 'fetching');
            const fetched = await remote('fetch from', () =>
              repo.fetch(head, adv.capabilities, http).then(
                () => true,
                (err: unknown) => {
                  if (err instanceof StaleWantError) return false; // the branch moved after discovery
                  throw err;
                },
              ),
            );
            if (!fetched) {
              lastReason = 'the branch moved while fetching';
              continue;
            }
          }
        }
        if (head === undefined) repo.head = undefined;

        // 2. The owned path at that head; reload our snapshot only if it changed behind our back.
        const { levels, ownedOid } = await repo.route(head, components);
        let base = repo.owned.get(owned);
        if (!base || base.oid !== ownedOid) {
          if (base) log?.info({ expected: base.oid, found: ownedOid }, 'owned path changed outside Kure; reloading it');
          lastPushed ??= base;
          base = await OwnedTree.load(repo.store, ownedOid);
          repo.owned.set(owned, base);
        }

        // 3. The new tree, in memory, writing only what changed.
        const plan = base.plan(desired);
        if (plan.changedPaths.length === 0) {
          log?.debug({ sha: head, ms: Math.round(performance.now() - started) }, 'up to date');
          return { changed: false, sha: head ?? '', changedPaths: [], attempts: attempt, drifted: [] };
        }
        const drifted = lastPushed ? driftedPaths(plan.changedPaths, lastPushed, desired) : [];
        const batch = repo.newObjects();
        const { tree: next } = await base.apply(plan, batch);
        const route = await repo.writeRoute(levels, components, next.oid, batch);
        const text = typeof message === 'function' ? message(plan.changedPaths, drifted) : message;
        const time = new Date();
        const commit = batch.writeCommit({ tree: route.root, parent: head, message: text, author: target.author, time });

        // 4. Push exactly the new objects (one pack), as a compare-and-swap from `head`.
        const { pack } = batch.finish();
        const outcome = await remote('push to', async () =>
          receivePack(creds.url, { ref: repo.ref, oldOid: head ?? ZERO_OID, newOid: commit }, pack, { ...http, sideband: await pushSideband(adv.capabilities, creds.url, http) }),
        );
        if (outcome.ok) {
          // The push is the commit point: a local failure after it (the cache deleted or full) must
          // not turn a pushed commit into an error; the clone is dropped and rebuilt next time.
          try {
            await repo.save(batch);
            await repo.setHead(commit);
            repo.owned.set(owned, next);
            if (await repo.compactIfNeeded()) log?.debug({ sha: commit }, 'compacted the cached clone');
          } catch (err) {
            log?.warn({ sha: commit, err: creds.scrub((err as Error).message ?? String(err)) }, 'pushed, but could not update the cached clone; dropping it');
            await repo.reset().catch(() => undefined);
          }
          log?.info(
            { sha: commit, files: plan.changedPaths.length, drifted: drifted.length, attempt, ms: Math.round(performance.now() - started) },
            'pushed commit',
          );
          return { changed: true, sha: commit, time: time.toISOString(), message: text, changedPaths: plan.changedPaths, attempts: attempt, drifted };
        }
        const reason = outcome.reason ?? outcome.unpack;
        if (!isStaleRefReason(reason)) {
          const said = outcome.messages ? `: the server said: ${serverText(outcome.messages)}` : '';
          throw new GitError('other', creds.scrub(`push to ${where} was refused: ${reason}${said}`));
        }
        lastReason = reason;
        log?.warn({ attempt, reason }, 'push rejected because the branch moved; fetching and retrying');
        await sleep(Math.min(1000, 25 * 2 ** attempt * (0.5 + Math.random())), signal);
      }
    } catch (err) {
      if (err instanceof GitError) throw err;
      if (signal?.aborted) throw new GitError('other', `sync ${where}: aborted`);
      // A local failure (the cache corrupted or deleted under us, disk full, ...): drop the cached
      // clone and try once more from a fresh one; the remote is the truth. A second failure is reported.
      const e = toGitError(err, `sync ${where}`, creds.scrub, this.opts.cacheDir);
      await repo.reset().catch(() => undefined);
      if (!fresh) {
        log?.warn({ err: e.message }, 'git sink failed locally; dropped the cached clone, retrying from a fresh one');
        return this.syncLocked(repo, creds, target, owned, desired, message, signal, true);
      }
      log?.error({ err: e.message }, 'git sink failed again from a fresh clone; dropped the cached clone');
      throw e;
    }
    throw new GitError(
      'conflict',
      creds.scrub(
        `push to ${where} was rejected ${this.maxAttempts} times because the branch kept moving (last: ${lastReason}); will retry`,
      ),
    );
  }
}

/**
 * Whether to ask git-receive-pack for side-band-64k (so hook output reaches us). The fetch side's
 * advertisement says so, except for an empty repository, whose upload-pack advertises nothing: then
 * the receive-pack advertisement is read (one request, on the first push only).
 */
async function pushSideband(uploadCaps: Set<string>, url: string, http: Parameters<typeof discoverRefs>[2]): Promise<boolean> {
  if (uploadCaps.size > 0) return uploadCaps.has('side-band-64k');
  return (await discoverRefs(url, 'git-receive-pack', http)).capabilities.has('side-band-64k');
}

/**
 * A server's message (hook output) as it may appear in a condition: `remote:` prefixes and control
 * characters (terminal escapes) removed, lines joined, at most 500 characters. Credentials are
 * scrubbed by the caller.
 */
function serverText(text: string): string {
  const lines = text
    .split(/\r?\n|\r/)
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .map((l) => l.replace(/^remote:\s?/, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\x00-\x1f\x7f]/g, '').trim())
    .filter(Boolean);
  const joined = lines.join(' / ');
  return joined.length > 500 ? `${joined.slice(0, 500)}…` : joined;
}

/** Changed paths where what Kure last pushed already was the desired content: someone else changed them. */
function driftedPaths(changedPaths: readonly string[], lastPushed: OwnedTree, desired: FileTree): string[] {
  let ours: Set<string>;
  try {
    ours = new Set(lastPushed.plan(desired).changedPaths);
  } catch {
    return []; // a path clash in the old snapshot: the new plan reports it
  }
  return changedPaths.filter((p) => !ours.has(p));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
