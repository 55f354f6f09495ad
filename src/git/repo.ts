// One cached, shallow, single-branch clone per repository URL and branch: a bare gitdir under the
// sink's cache directory plus what we know about it in memory (the remote head we hold, and one
// OwnedTree snapshot per owned path). All isomorphic-git calls share one `cache` object.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { GitError } from './errors.js';
import type { ObjectStore, OwnedTree, TreeEntry } from './tree.js';

export class CachedRepo {
  readonly gitdir: string;
  /** The remote head we have locally (as far as we know), or undefined before the first fetch / for an absent branch. */
  head: string | undefined;
  /** Snapshot of each owned path, as of some commit we pushed or fetched. */
  readonly owned = new Map<string, OwnedTree>();
  /** isomorphic-git's cache (parsed packfile indexes), shared by every call on this repository. */
  private readonly cache: object = {};
  private initialised = false;

  constructor(
    cacheDir: string,
    readonly url: string,
    readonly branch: string,
  ) {
    const key = createHash('sha256').update(`${url}\n${branch}`).digest('hex').slice(0, 16);
    const readable = `${url.replace(/^[a-z]+:\/\//i, '')}-${branch}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60);
    this.gitdir = path.join(cacheDir, `${readable}-${key}.git`);
  }

  async init(): Promise<void> {
    if (this.initialised) return;
    await fs.promises.mkdir(this.gitdir, { recursive: true });
    if (!fs.existsSync(path.join(this.gitdir, 'HEAD'))) {
      await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: this.branch });
      await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true });
    } else {
      // A clone left by an earlier process: start from the head it holds.
      try {
        const oid = await git.resolveRef({ fs, gitdir: this.gitdir, ref: this.ref });
        if (await this.has(oid)) this.head = oid;
      } catch {
        this.head = undefined;
      }
    }
    this.initialised = true;
  }

  /** Throw away the cached clone (used when it looks corrupt). */
  async reset(): Promise<void> {
    this.head = undefined;
    this.owned.clear();
    this.initialised = false;
    for (const k of Object.keys(this.cache)) delete (this.cache as Record<string, unknown>)[k];
    await fs.promises.rm(this.gitdir, { recursive: true, force: true });
  }

  get ref(): string {
    return `refs/heads/${this.branch}`;
  }

  /** Do we hold this commit locally? */
  async has(oid: string): Promise<boolean> {
    try {
      await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Fetch the branch's head commit and its objects. The local `refs/heads/<branch>` is what
   * isomorphic-git offers the server as "have", so we keep it at the last commit we know.
   */
  async fetch(headers: Record<string, string>): Promise<string | undefined> {
    const haveHead = this.head !== undefined;
    const res = await git.fetch({
      fs,
      http,
      gitdir: this.gitdir,
      remote: 'origin',
      url: this.url,
      ref: this.branch,
      remoteRef: this.branch,
      singleBranch: true,
      // A first fetch is shallow (depth 1: no history is needed). Later ones are not: a depth
      // limit would cut the new commits off from the head we hold, so the server could not use
      // it as a base and would send the whole tree again; without one, only new objects travel.
      depth: haveHead ? undefined : 1,
      tags: false,
      headers: { ...headers }, // isomorphic-git adds to the object it is given
      cache: this.cache,
    });
    const head = res.fetchHead ?? undefined;
    if (head) await this.setHead(head);
    return head;
  }

  async setHead(oid: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.gitdir, ref: this.ref, value: oid, force: true });
    this.head = oid;
  }

  /** The trees from the root of `commit` down to `components` (missing levels are empty), and the owned tree's id. */
  async route(commit: string | undefined, components: string[]): Promise<{ levels: TreeEntry[][]; ownedOid: string | undefined }> {
    const levels: TreeEntry[][] = [];
    if (commit === undefined) {
      for (let i = 0; i < components.length; i++) levels.push([]);
      return { levels, ownedOid: undefined };
    }
    const { commit: c } = await git.readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache });
    let oid: string | undefined = c.tree;
    for (let i = 0; i < components.length; i++) {
      const entries: TreeEntry[] = oid === undefined ? [] : await this.readTree(oid);
      levels.push(entries);
      const e = entries.find((x) => x.path === components[i]);
      if (e && e.type !== 'tree') {
        throw new GitError('other', `"${components.slice(0, i + 1).join('/')}" is a file in branch ${this.branch}, not a directory Kure can own`);
      }
      oid = e?.oid;
    }
    return { levels, ownedOid: oid };
  }

  /** Replace the owned tree in the route and write the trees above it; returns the new root tree id. */
  async writeRoute(levels: TreeEntry[][], components: string[], ownedOid: string | undefined): Promise<{ root: string; written: string[] }> {
    const written: string[] = [];
    let child = ownedOid;
    for (let i = components.length - 1; i >= 0; i--) {
      const name = components[i]!;
      const entries = levels[i]!.filter((e) => e.path !== name);
      if (child !== undefined) entries.push({ mode: '040000', path: name, oid: child, type: 'tree' });
      if (entries.length === 0 && i > 0) {
        child = undefined; // an empty directory vanishes
        continue;
      }
      child = await this.store.writeTree(entries);
      written.push(child);
    }
    return { root: child!, written };
  }

  async writeCommit(opts: {
    tree: string;
    parent: string | undefined;
    message: string;
    author: { name: string; email: string };
    time: Date;
  }): Promise<string> {
    const who = { name: opts.author.name, email: opts.author.email, timestamp: Math.floor(opts.time.getTime() / 1000), timezoneOffset: 0 };
    return git.writeCommit({
      fs,
      gitdir: this.gitdir,
      commit: {
        message: opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`,
        tree: opts.tree,
        parent: opts.parent ? [opts.parent] : [],
        author: who,
        committer: who,
      },
    });
  }

  /** A packfile holding exactly these objects. */
  async pack(oids: string[]): Promise<Uint8Array> {
    const { packfile } = await git.packObjects({ fs, gitdir: this.gitdir, oids, cache: this.cache, write: false });
    return packfile!;
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return tree as TreeEntry[];
  }

  readonly store: ObjectStore = {
    readTree: (oid) => this.readTree(oid),
    writeBlob: (blob) => git.writeBlob({ fs, gitdir: this.gitdir, blob }),
    writeTree: (tree) => git.writeTree({ fs, gitdir: this.gitdir, tree }),
  };
}
