// One cached, shallow, single-branch clone per repository URL and branch: a bare gitdir under the
// sink's cache directory plus what we know about it in memory (the remote head we hold, one
// OwnedTree snapshot per owned path, and the raw trees of this process's packs).
//
// What the cache holds is bounded: the sink never reads a blob it did not write, so a fetch asks
// for the wanted commit only (depth 1) and, where the server can, without blobs (`filter
// blob:none`); each pushed commit's objects are one small pack; and when packs pile up
// (MAX_PACKS), they are replaced by one pack of the head commit and every tree it reaches — what a
// fresh `git clone --depth 1 --filter=blob:none --bare` would hold.
//
// isomorphic-git (with one shared `cache` object) reads what this process did not fetch or write
// itself (a cache left by an earlier process) and manages refs; fetching, indexing and writing
// packs is pack.ts and smart-http.ts.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { GitError } from './errors.js';
import { commitTree, decodeTree, encodeCommit, encodeTree, indexPack, objectId, PackWriter, type TreeEntry } from './pack.js';
import { uploadPack, type RequestOptions } from './smart-http.js';
import { withSignature, type CommitSigner } from './sign.js';
import type { ObjectStore, OwnedTree } from './tree.js';

/** Packs (one per pushed commit or fetch) before they are compacted into one. */
export const MAX_PACKS = 50;

export class CachedRepo {
  readonly gitdir: string;
  /** The remote head we have locally (as far as we know), or undefined before the first fetch / for an absent branch. */
  head: string | undefined;
  /** Snapshot of each owned path, as of some commit we pushed or fetched. */
  readonly owned = new Map<string, OwnedTree>();
  /** isomorphic-git's cache (parsed packfile indexes), shared by every call on this repository. */
  private cache: object = {};
  private initialised = false;
  /** Raw trees and commits of the packs this process fetched or wrote (pruned when compacting). */
  private trees = new Map<string, Buffer>();
  private commits = new Map<string, Buffer>();
  /** Commits whose parents we do not hold (Git's `shallow` file). */
  private shallow = new Set<string>();
  private packs = 0;

  constructor(
    cacheDir: string,
    readonly url: string,
    readonly branch: string,
  ) {
    const key = createHash('sha256').update(`${url}\n${branch}`).digest('hex').slice(0, 16);
    const readable = `${url.replace(/^[a-z]+:\/\//i, '')}-${branch}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60);
    this.gitdir = path.join(cacheDir, `${readable}-${key}.git`);
  }

  private get packDir(): string {
    return path.join(this.gitdir, 'objects', 'pack');
  }

  async init(): Promise<void> {
    if (this.initialised) return;
    await fs.promises.mkdir(this.gitdir, { recursive: true });
    if (!fs.existsSync(path.join(this.gitdir, 'HEAD'))) {
      await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: this.branch });
    } else {
      // A clone left by an earlier process: start from the head it holds.
      try {
        const text = await fs.promises.readFile(path.join(this.gitdir, 'shallow'), 'utf8');
        this.shallow = new Set(text.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l)));
      } catch {
        this.shallow = new Set();
      }
      try {
        const oid = await git.resolveRef({ fs, gitdir: this.gitdir, ref: this.ref });
        if (await this.has(oid)) this.head = oid;
      } catch {
        this.head = undefined;
      }
    }
    await fs.promises.mkdir(this.packDir, { recursive: true });
    this.packs = (await fs.promises.readdir(this.packDir)).filter((f) => f.endsWith('.idx')).length;
    this.initialised = true;
  }

  /** Throw away the cached clone (used when it looks corrupt). */
  async reset(): Promise<void> {
    this.head = undefined;
    this.owned.clear();
    this.initialised = false;
    this.cache = {};
    this.trees = new Map();
    this.commits = new Map();
    this.shallow = new Set();
    await fs.promises.rm(this.gitdir, { recursive: true, force: true });
  }

  get ref(): string {
    return `refs/heads/${this.branch}`;
  }

  /** Do we hold this commit locally? */
  async has(oid: string): Promise<boolean> {
    if (this.commits.has(oid)) return true;
    try {
      await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Fetch commit `want` (the branch's head) with its trees. Blobs are left out where the server
   * allows a partial clone. The first fetch is shallow (depth 1: no history is needed). Later ones
   * send the commit we hold as "have" and our shallow boundary, and no depth: a depth limit would
   * cut the new commits off from the one we hold, so the server could not use it as a base and
   * would send every tree again (2,043 objects instead of 1 after a foreign commit, measured);
   * without one, only the commits since ours and their new trees travel.
   */
  async fetch(want: string, capabilities: Set<string>, http: RequestOptions): Promise<void> {
    const res = await uploadPack(
      this.url,
      capabilities,
      {
        want,
        haves: this.head !== undefined ? [this.head] : [],
        shallow: [...this.shallow],
        depth: this.head === undefined ? 1 : undefined,
        filter: 'blob:none',
      },
      http,
    );
    const indexed = indexPack(res.pack, { skipBlobs: true });
    if (indexed.idx) {
      if (indexed.count > 0) await this.savePack(res.pack, indexed.idx, indexed.sha, indexed.trees, indexed.commits);
    } else {
      // The server could not leave blobs out: keep only the trees and commits, in a pack of our own.
      const writer = new PackWriter();
      for (const raw of indexed.commits.values()) writer.add('commit', raw);
      for (const raw of indexed.trees.values()) writer.add('tree', raw);
      const own = writer.finish();
      await this.savePack(own.pack, own.idx, own.sha, indexed.trees, indexed.commits);
    }
    for (const s of res.shallow) this.shallow.add(s);
    for (const s of res.unshallow) this.shallow.delete(s);
    if (!capabilities.has('shallow')) this.shallow.clear(); // the whole history came
    await this.writeShallow();
    if (!(await this.has(want))) throw new Error(`the server did not send commit ${want}`);
    await this.setHead(want);
  }

  /** Store a pack and its index (index last: readers find packs by their index). */
  private async savePack(pack: Buffer, idx: Buffer, sha: string, trees: Map<string, Buffer>, commits: Map<string, Buffer>): Promise<void> {
    const base = path.join(this.packDir, `pack-${sha}`);
    const tmp = `${base}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(`${tmp}.pack`, pack);
    await fs.promises.rename(`${tmp}.pack`, `${base}.pack`);
    await fs.promises.writeFile(`${tmp}.idx`, idx);
    await fs.promises.rename(`${tmp}.idx`, `${base}.idx`);
    for (const [oid, raw] of trees) this.trees.set(oid, raw);
    for (const [oid, raw] of commits) this.commits.set(oid, raw);
    this.packs++;
  }

  private async writeShallow(): Promise<void> {
    const file = path.join(this.gitdir, 'shallow');
    if (this.shallow.size === 0) await fs.promises.rm(file, { force: true });
    else await fs.promises.writeFile(file, [...this.shallow].sort().map((s) => `${s}\n`).join(''));
  }

  async setHead(oid: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.gitdir, ref: this.ref, value: oid, force: true });
    this.head = oid;
  }

  /** The parents of a commit we hold. */
  async parents(oid: string): Promise<string[]> {
    const raw = this.commits.get(oid);
    if (raw) {
      const out: string[] = [];
      for (const line of raw.toString('utf8').split('\n')) {
        if (line === '') break;
        if (line.startsWith('parent ')) out.push(line.slice('parent '.length));
      }
      return out;
    }
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return commit.parent;
  }

  /**
   * Does `descendant` hold `ancestor` (equal, or reached through parents)? Walks only the commits in
   * this cache, at most `limit` of them: undefined when the answer lies beyond what is held (a commit
   * we never fetched, the shallow boundary, or the limit).
   */
  async contains(descendant: string, ancestor: string, limit = 10_000): Promise<boolean | undefined> {
    if (descendant === ancestor) return true;
    const seen = new Set<string>([descendant]);
    const todo = [descendant];
    let incomplete = false;
    while (todo.length > 0) {
      const oid = todo.pop()!;
      if (seen.size > limit) return undefined;
      if (this.shallow.has(oid) || !(await this.has(oid))) {
        incomplete = true;
        continue;
      }
      for (const p of await this.parents(oid)) {
        if (p === ancestor) return true;
        if (!seen.has(p)) {
          seen.add(p);
          todo.push(p);
        }
      }
    }
    return incomplete ? undefined : false;
  }

  /** The message and committer time (ISO 8601) of commit `oid`. */
  async commitInfo(oid: string): Promise<{ message: string; time: string }> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    // Git ends a message with a newline; give it back as it was written.
    return { message: commit.message.replace(/\n$/, ''), time: new Date(commit.committer.timestamp * 1000).toISOString() };
  }

  private async commitTreeOf(oid: string): Promise<string> {
    const raw = this.commits.get(oid);
    if (raw) return commitTree(raw);
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return commit.tree;
  }

  /** The trees from the root of `commit` down to `components` (missing levels are empty), and the owned tree's id. */
  async route(commit: string | undefined, components: string[]): Promise<{ levels: TreeEntry[][]; ownedOid: string | undefined }> {
    const levels: TreeEntry[][] = [];
    if (commit === undefined) {
      for (let i = 0; i < components.length; i++) levels.push([]);
      return { levels, ownedOid: undefined };
    }
    let oid: string | undefined = await this.commitTreeOf(commit);
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
  async writeRoute(
    levels: TreeEntry[][],
    components: string[],
    ownedOid: string | undefined,
    store: ObjectStore,
  ): Promise<{ root: string; written: string[] }> {
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
      child = await store.writeTree(entries);
      written.push(child);
    }
    return { root: child!, written };
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    const raw = this.trees.get(oid);
    if (raw) return decodeTree(raw);
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return tree as TreeEntry[];
  }

  /** The raw content of a tree, checked against its id. */
  private async rawTree(oid: string): Promise<Buffer> {
    const known = this.trees.get(oid);
    if (known) return known;
    const { object } = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
    const raw = Buffer.from(object as Uint8Array);
    if (objectId('tree', raw) !== oid) throw new Error(`tree ${oid} in the cache is corrupt`);
    return raw;
  }

  private async rawCommit(oid: string): Promise<Buffer> {
    const known = this.commits.get(oid);
    if (known) return known;
    const { object } = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
    return Buffer.from(object as Uint8Array);
  }

  /** The objects of one commit, written into one pack: see `save` and the push. */
  newObjects(): ObjectBatch {
    return new ObjectBatch(this);
  }

  /** Keep a batch whose commit the server accepted (its trees are the next sync's route). */
  async save(batch: ObjectBatch): Promise<void> {
    const { pack, idx, sha } = batch.finish();
    await this.savePack(pack, idx, sha, batch.writer.trees, batch.writer.commits);
  }

  /** Compact when packs have piled up: see the top of this file. Returns whether it did. */
  async compactIfNeeded(): Promise<boolean> {
    if (this.packs <= MAX_PACKS || this.head === undefined) return false;
    await this.compact();
    return true;
  }

  /** Replace every pack and loose object by one pack of the head commit and every tree it reaches. */
  async compact(): Promise<void> {
    const head = this.head;
    if (head === undefined) return;
    const writer = new PackWriter();
    const commit = await this.rawCommit(head);
    writer.add('commit', commit);
    const trees = new Map<string, Buffer>();
    const queue = [commitTree(commit)];
    while (queue.length > 0) {
      const oid = queue.pop()!;
      if (trees.has(oid)) continue;
      const raw = await this.rawTree(oid);
      trees.set(oid, raw);
      writer.add('tree', raw, oid);
      for (const e of decodeTree(raw)) if (e.type === 'tree' && !trees.has(e.oid)) queue.push(e.oid);
    }
    const { pack, idx, sha } = writer.finish();
    const keep = `pack-${sha}`;
    const old = (await fs.promises.readdir(this.packDir)).filter((f) => !f.startsWith(`${keep}.`));
    const commits = new Map([[head, commit]]);
    this.trees = new Map();
    this.commits = new Map();
    this.packs = 0;
    await this.savePack(pack, idx, sha, trees, commits);
    // The new pack is in place: now the old ones, and loose objects an earlier version wrote.
    for (const f of old.sort((a, b) => (a.endsWith('.idx') ? -1 : b.endsWith('.idx') ? 1 : 0))) {
      await fs.promises.rm(path.join(this.packDir, f), { force: true });
    }
    for (const d of await fs.promises.readdir(path.join(this.gitdir, 'objects'))) {
      if (/^[0-9a-f]{2}$/.test(d)) await fs.promises.rm(path.join(this.gitdir, 'objects', d), { recursive: true, force: true });
    }
    this.shallow = new Set([head]);
    await this.writeShallow();
    this.cache = {}; // isomorphic-git's parsed indexes of packs that are gone
  }

  /** Tree reads for OwnedTree (writes go through an ObjectBatch). */
  readonly store: Pick<ObjectStore, 'readTree'> = {
    readTree: (oid) => this.readTree(oid),
  };
}

/** The objects written for one commit attempt; nothing reaches the disk until `CachedRepo.save`. */
export class ObjectBatch implements ObjectStore {
  readonly writer = new PackWriter();
  private finished: { pack: Buffer; idx: Buffer; sha: string } | undefined;

  constructor(private readonly repo: CachedRepo) {}

  readTree(oid: string): Promise<TreeEntry[]> {
    const raw = this.writer.trees.get(oid);
    return raw ? Promise.resolve(decodeTree(raw)) : this.repo.readTree(oid);
  }

  writeBlob(content: Uint8Array): Promise<string> {
    return Promise.resolve(this.writer.add('blob', Buffer.from(content.buffer, content.byteOffset, content.byteLength)));
  }

  writeTree(entries: TreeEntry[]): Promise<string> {
    return Promise.resolve(this.writer.add('tree', encodeTree(entries)));
  }

  writeCommit(opts: { tree: string; parent: string | undefined; message: string; author: { name: string; email: string }; time: Date }): string {
    const who = { name: opts.author.name, email: opts.author.email, timestamp: Math.floor(opts.time.getTime() / 1000) };
    const message = opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`;
    return this.writer.add('commit', encodeCommit({ tree: opts.tree, parents: opts.parent ? [opts.parent] : [], author: who, committer: who, message }));
  }

  /** writeCommit, signed: the commit object's content is signed and the signature kept as its `gpgsig` header. */
  async writeSignedCommit(
    opts: { tree: string; parent: string | undefined; message: string; author: { name: string; email: string }; time: Date },
    sign: CommitSigner,
  ): Promise<string> {
    const who = { name: opts.author.name, email: opts.author.email, timestamp: Math.floor(opts.time.getTime() / 1000) };
    const message = opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`;
    const unsigned = encodeCommit({ tree: opts.tree, parents: opts.parent ? [opts.parent] : [], author: who, committer: who, message });
    return this.writer.add('commit', withSignature(unsigned, await sign(unsigned.toString('utf8'))));
  }

  /** The pack (and its index) of everything written; nothing may be written after. */
  finish(): { pack: Buffer; idx: Buffer; sha: string } {
    return (this.finished ??= this.writer.finish());
  }
}
