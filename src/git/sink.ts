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
import { PackWriter } from './pack.js';
import { pgpSigner, type CommitSigner, type SigningKey } from './sign.js';
import { OwnedTree } from './tree.js';
import { sleep } from '../sleep.js';

export interface GitTarget {
  /** `https://` (or `http://` for local use); userinfo in it is used as credentials and never logged. */
  url: string;
  branch: string;
  /** Repository-relative directory Kure owns ('' is not allowed). */
  path: string;
  auth?: GitAuth;
  author: { name: string; email: string };
  /**
   * When `branch` does not exist in a repository that has other branches: false (default) fails
   * with GitError `branch-not-found`; true creates it from the head of the remote's default branch
   * (never an orphan). An empty repository (no branch at all) gets the branch with the first commit.
   */
  createBranch?: boolean;
  /** Sign every commit with this OpenPGP key (src/git/sign.ts); the committer email should be one of the key's. */
  signingKey?: SigningKey;
}

/** Pull-request mode (see src/forge/pull-request.ts): where the sink builds and what it may rewrite. */
export interface RebuildOptions {
  /** The branch the change is built on (never written). */
  baseBranch: string;
  /**
   * Whether Kure's branch is rebuilt when the base moved but the desired content did not change:
   * `always` (the default: Kure's branch is always base + one commit, so its PR never conflicts),
   * `content` (only when the owned tree differs: a PR closed without merge is not re-proposed
   * because a person pushed to base), `force` (rebuild even when nothing differs).
   */
  rebase?: 'always' | 'content' | 'force';
}

export interface RebuildResult extends SyncResult {
  /** The base branch's head the sync looked at. */
  baseSha: string;
  /** The base branch already holds the desired content: no branch of Kure's is needed. */
  inBase: boolean;
  /** Kure's branch head after the sync ('' when it does not exist). */
  branchSha: string;
}

export interface SyncResult {
  /** A commit was pushed. */
  changed: boolean;
  /** The branch head after the sync ('' when the branch does not exist and nothing was written). */
  sha: string;
  /** Commit time (ISO 8601) of the commit pushed, or of the head when nothing was pushed. */
  time?: string;
  /** Message of the commit pushed, or of the head when nothing was pushed. */
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

  private readonly signers = new Map<string, CommitSigner>();

  constructor(private readonly opts: GitSinkOptions) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  }

  /** One signer per key (the key is parsed and decrypted once). */
  private signer(key: SigningKey): CommitSigner {
    const id = `${key.armoredKey}\n${key.passphrase ?? ''}`;
    let s = this.signers.get(id);
    if (!s) {
      if (this.signers.size > 100) this.signers.clear();
      s = pgpSigner(key);
      this.signers.set(id, s);
    }
    return s;
  }

  /**
   * Does commit `descendant` hold commit `ancestor` in the cached clone of `url`/`branch`? Reads
   * only what the cache holds (no fetch): undefined when it cannot tell (unknown repository or a
   * commit beyond what was fetched or pushed).
   */
  async contains(url: string, branch: string, descendant: string, ancestor: string): Promise<boolean | undefined> {
    if (descendant === ancestor) return true;
    let repo: CachedRepo | undefined;
    for (const [key, r] of this.repos) if (key.endsWith(`\n${branch}`) && sameRepository(r.url, url)) repo = r;
    if (!repo) return undefined;
    await repo.init();
    return repo.contains(descendant, ancestor);
  }

  /**
   * Make `target.path` in the branch hold exactly `tree` (paths relative to target.path); commit+push
   * only when it differs. Paths `keep` accepts stay as the branch has them, whatever `tree` says, and
   * come from `tree` only where the branch has none (a bundle held back at what Git holds of it, read
   * at the head each attempt builds on).
   */
  sync(target: GitTarget, tree: FileTree, message: CommitMessage, signal?: AbortSignal, keep?: (path: string) => boolean): Promise<SyncResult> {
    return this.run(target, tree, message, { remove: false, ...(keep ? { keep } : {}) }, signal);
  }

  /** Remove target.path in one commit (deletionPolicy Delete). No-op when already absent (or the branch is). */
  remove(target: GitTarget, message: string, signal?: AbortSignal): Promise<SyncResult> {
    return this.run(target, new Map(), message, { remove: true }, signal);
  }

  /**
   * Pull-request mode: make `target.branch` (Kure's own branch) hold `opts.baseBranch`'s current
   * head plus one commit that puts `tree` at `target.path`. The base branch is never written; Kure's
   * branch is rewritten (a non-fast-forward compare-and-swap from the head it had) only when its
   * content differs or `opts.rebase` asks for it. No push when the base already holds the tree.
   */
  rebuild(target: GitTarget, tree: FileTree, message: CommitMessage, opts: RebuildOptions, signal?: AbortSignal): Promise<RebuildResult> {
    checkBranch(opts.baseBranch);
    if (opts.baseBranch === target.branch) throw new GitError('other', `pull-request branch ${target.branch} must differ from the base branch`);
    return this.run(target, tree, message, { remove: false, rebuild: opts }, signal) as Promise<RebuildResult>;
  }

  private async run(target: GitTarget, tree: FileTree, message: CommitMessage, mode: Mode, signal?: AbortSignal): Promise<SyncResult> {
    const owned = normaliseOwnedPath(target.path);
    checkBranch(target.branch);
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
    const next = prev.catch(() => undefined).then(() => this.syncLocked(r, creds, target, owned, tree, message, mode, signal));
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
    mode: Mode,
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
        /** What the branch holds now (the compare-and-swap's old value). */
        const current = adv.refs.get(repo.ref);
        /** The commit the new one is built on. */
        let parent = current;
        if (mode.rebuild) {
          parent = adv.refs.get(`refs/heads/${mode.rebuild.baseBranch}`);
          if (parent === undefined) throw missingBranch(mode.rebuild.baseBranch, creds.url, adv, 'the base branch of the pull request');
        } else if (current === undefined) {
          if (mode.remove) return { changed: false, sha: '', changedPaths: [], attempts: attempt, drifted: [] };
          if ([...adv.refs.keys()].some((r) => r.startsWith('refs/heads/'))) {
            const def = defaultBranch(adv);
            if (!target.createBranch || def === undefined) throw missingBranch(target.branch, creds.url, adv, undefined, target.createBranch);
            parent = adv.refs.get(def);
            log?.info({ from: def, sha: parent }, 'branch does not exist; creating it from the default branch');
          }
          // else: an empty repository; the first commit creates the branch.
        }
        const need = parent === undefined ? [] : [parent];
        if (mode.rebuild && current !== undefined && current !== parent) need.push(current);
        let moved = false;
        for (const want of need) {
          if (await repo.has(want)) continue;
          log?.debug({ want }, 'fetching');
          const fetched = await remote('fetch from', () =>
            repo.fetch(want, adv.capabilities, http).then(
              () => true,
              (err: unknown) => {
                if (err instanceof StaleWantError) return false; // the branch moved after discovery
                throw err;
              },
            ),
          );
          if (!fetched) moved = true;
        }
        if (moved) {
          lastReason = 'the branch moved while fetching';
          continue;
        }
        if (parent === undefined) repo.head = undefined;
        else if (parent !== repo.head) await repo.setHead(parent);
        const head = parent;

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
        const plan = base.plan(desired, mode.keep);
        const rebuilt = (r: SyncResult, inBase: boolean, branchSha: string): SyncResult =>
          mode.rebuild ? ({ ...r, baseSha: head ?? '', inBase, branchSha } as RebuildResult) : r;
        if (plan.changedPaths.length === 0) {
          if (mode.rebuild) {
            log?.debug({ base: head }, 'the base branch holds the desired tree');
            return rebuilt({ changed: false, sha: head ?? '', changedPaths: [], attempts: attempt, drifted: [] }, true, current ?? '');
          }
          if (current === undefined && head !== undefined) {
            // createBranch with nothing to change: the branch starts at the default branch's head.
            const outcome = await remote('create branch in', async () =>
              receivePack(creds.url, { ref: repo.ref, oldOid: ZERO_OID, newOid: head }, new PackWriter().finish().pack, { ...http, sideband: await pushSideband(adv.capabilities, creds.url, http) }),
            );
            if (!outcome.ok) {
              const reason = outcome.reason ?? outcome.unpack;
              if (isStaleRefReason(reason)) {
                lastReason = reason;
                continue;
              }
              throw new GitError('other', creds.scrub(`creating branch ${target.branch} in ${creds.url} was refused: ${reason}`));
            }
            log?.info({ sha: head }, 'created branch');
            return { changed: false, sha: head, changedPaths: [], attempts: attempt, drifted: [] };
          }
          log?.debug({ sha: head, ms: Math.round(performance.now() - started) }, 'up to date');
          // The head's message and time: whoever asks can tell a commit of its own it has not recorded
          // yet (pushed, then killed before the status write).
          const info = head ? await repo.commitInfo(head).catch(() => undefined) : undefined;
          return { changed: false, sha: head ?? '', changedPaths: [], attempts: attempt, drifted: [], ...(info ? { message: info.message, time: info.time } : {}) };
        }
        const drifted = lastPushed ? driftedPaths(plan.changedPaths, lastPushed, desired) : [];
        const batch = repo.newObjects();
        const { tree: next } = await base.apply(plan, batch);
        const rebase = mode.rebuild?.rebase ?? 'always';
        if (mode.rebuild && current !== undefined && rebase !== 'force') {
          // Kure's branch may already carry exactly this content (on this base, or on an older one).
          const theirs = await repo.route(current, components);
          if (theirs.ownedOid === next.oid && (rebase === 'content' || (await repo.parents(current)).includes(head!))) {
            log?.debug({ branch: current }, "Kure's branch already holds the desired tree");
            return rebuilt({ changed: false, sha: current, changedPaths: plan.changedPaths, attempts: attempt, drifted: [] }, false, current);
          }
        }
        const route = await repo.writeRoute(levels, components, next.oid, batch);
        const text = typeof message === 'function' ? message(plan.changedPaths, drifted) : message;
        const time = new Date();
        const commitOpts = { tree: route.root, parent: head, message: text, author: target.author, time };
        const commit = target.signingKey ? await batch.writeSignedCommit(commitOpts, this.signer(target.signingKey)) : batch.writeCommit(commitOpts);

        // 4. Push exactly the new objects (one pack), as a compare-and-swap from `head`.
        const { pack } = batch.finish();
        const outcome = await remote('push to', async () =>
          receivePack(creds.url, { ref: repo.ref, oldOid: current ?? ZERO_OID, newOid: commit }, pack, { ...http, sideband: await pushSideband(adv.capabilities, creds.url, http) }),
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
          return rebuilt({ changed: true, sha: commit, time: time.toISOString(), message: text, changedPaths: plan.changedPaths, attempts: attempt, drifted }, false, commit);
        }
        const reason = outcome.reason ?? outcome.unpack;
        if (!isStaleRefReason(reason)) {
          const said = outcome.messages ? `: the server said: ${serverText(outcome.messages)}` : '';
          const text = `${reason}\n${outcome.messages ?? ''}`;
          if (/protected branch|protected ref|branch is protected|GH006|pre-receive hook declined.*protected/i.test(text)) {
            const hint = mode.rebuild ? '' : '; Kure cannot push to it directly: use spec.repository.writeMode: pullRequest (docs/protected-branches.md)';
            throw new GitError('protected', creds.scrub(`push to ${where} was refused: the branch is protected${hint}: ${reason}${said}`));
          }
          throw new GitError('other', creds.scrub(`push to ${where} was refused: ${reason}${said}`));
        }
        lastReason = reason;
        log?.warn({ attempt, reason }, 'push rejected because the branch moved; fetching and retrying');
        await sleep(Math.min(1000, 25 * 2 ** attempt * (0.5 + Math.random())), signal);
        signal?.throwIfAborted();
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
        return this.syncLocked(repo, creds, target, owned, desired, message, mode, signal, true);
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

interface Mode {
  remove: boolean;
  rebuild?: RebuildOptions;
  keep?: (path: string) => boolean;
}

function checkBranch(branch: string): void {
  if (!branch || /(^|\/)\.|\.\.|[\s~^:?*[\\]|\/$/.test(branch)) {
    throw new GitError('other', `invalid branch name "${branch}"`);
  }
}

/** The remote's default branch (`refs/heads/...`): HEAD's symref, else the branch HEAD points at. */
export function defaultBranch(adv: { refs: Map<string, string>; capabilities: Set<string> }): string | undefined {
  for (const c of adv.capabilities) {
    const m = /^symref=HEAD:(refs\/heads\/.+)$/.exec(c);
    if (m && adv.refs.has(m[1]!)) return m[1];
  }
  const head = adv.refs.get('HEAD');
  if (head === undefined) return undefined;
  const same = [...adv.refs].filter(([r, oid]) => r.startsWith('refs/heads/') && oid === head).map(([r]) => r);
  return same.find((r) => r === 'refs/heads/main') ?? same.find((r) => r === 'refs/heads/master') ?? same.sort()[0];
}

function missingBranch(
  branch: string,
  url: string,
  adv: { refs: Map<string, string>; capabilities: Set<string> },
  what?: string,
  createBranch?: boolean,
): GitError {
  const heads = [...adv.refs.keys()].filter((r) => r.startsWith('refs/heads/')).map((r) => r.slice('refs/heads/'.length));
  const shown = heads.slice(0, 5).join(', ') + (heads.length > 5 ? `, … (${heads.length} branches)` : '');
  const def = defaultBranch(adv)?.slice('refs/heads/'.length);
  let hint: string;
  if (what) hint = '';
  else if (createBranch && def === undefined) hint = '; spec.repository.createBranch is set, but the default branch (HEAD) cannot be determined';
  else hint = `; create it, or set spec.repository.createBranch: true to have Kure create it from the default branch${def ? ` (${def})` : ''}`;
  return new GitError('branch-not-found', `branch ${branch}${what ? ` (${what})` : ''} does not exist in ${url} (it has: ${shown})${hint}`);
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
    .filter((l) => l && !/^(error|warning|hint):?$/i.test(l));
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

/** The same repository, whatever credentials one URL carries in its userinfo. */
function sameRepository(a: string, b: string): boolean {
  const strip = (u: string) => u.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1').replace(/\/+$/, '').replace(/\.git$/, '');
  return strip(a) === strip(b);
}
