// The owned directory as Git trees held in memory. A snapshot records, for every file under the
// owned path, its blob id (and the content last written, so an unchanged file costs one string
// comparison), and for every directory its tree entries. Applying a FileTree writes only the
// blobs that changed and the trees on the way from them up to the owned root; every other
// subtree keeps its id. Nothing is read back from the repository except when the owned path
// changed behind our back (or on the first sync), and then only the trees under the owned path.
import { createHash } from 'node:crypto';
import type { FileTree } from '../model/types.js';
import { GitError } from './errors.js';
import { baseName, checkFilePath, joinPath, parentDir } from './paths.js';

/** Same shape as isomorphic-git's TreeEntry (`path` is the entry's name). */
export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface ObjectStore {
  readTree(oid: string): Promise<TreeEntry[]>;
  writeBlob(content: Uint8Array): Promise<string>;
  writeTree(entries: TreeEntry[]): Promise<string>;
}

export const FILE_MODE = '100644';
export const TREE_MODE = '040000';

interface FileRecord {
  oid: string;
  mode: string;
  /** The content whose blob is `oid`, when we know it (we wrote it, or hashed it once). */
  content?: string;
}

/** Git's blob id for a text, without writing anything. */
export function blobId(content: string | Uint8Array): string {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export interface TreeDiff {
  /** Paths relative to the owned root, sorted. */
  added: string[];
  modified: string[];
  removed: string[];
  /** All of the above, sorted. */
  changedPaths: string[];
}

interface PendingBlob {
  path: string;
  content: string;
  oid: string;
}

export interface Plan extends TreeDiff {
  blobs: PendingBlob[];
}

export class OwnedTree {
  private constructor(
    /** Tree id of the owned directory; undefined when it does not exist (no files). */
    readonly oid: string | undefined,
    private readonly files: Map<string, FileRecord>,
    private readonly dirs: Map<string, Map<string, TreeEntry>>,
  ) {}

  static empty(): OwnedTree {
    return new OwnedTree(undefined, new Map(), new Map());
  }

  get size(): number {
    return this.files.size;
  }

  /** Read the trees under `oid` (never blobs) into a snapshot. */
  static async load(store: Pick<ObjectStore, 'readTree'>, oid: string | undefined): Promise<OwnedTree> {
    const files = new Map<string, FileRecord>();
    const dirs = new Map<string, Map<string, TreeEntry>>();
    if (oid === undefined) return new OwnedTree(undefined, files, dirs);
    const queue: [string, string][] = [['', oid]];
    while (queue.length > 0) {
      // Read a handful of trees at a time: the object store is asynchronous.
      const batch = queue.splice(0, 16);
      const read = await Promise.all(batch.map(([, o]) => store.readTree(o)));
      batch.forEach(([dir], i) => {
        const entries = new Map<string, TreeEntry>();
        for (const e of read[i]!) {
          entries.set(e.path, e);
          const p = joinPath(dir, e.path);
          if (e.type === 'tree') queue.push([p, e.oid]);
          else files.set(p, { oid: e.oid, mode: e.mode });
        }
        dirs.set(dir, entries);
      });
    }
    return new OwnedTree(oid, files, dirs);
  }

  /**
   * What it takes to turn this snapshot into `desired`. Hashes only files whose content is unknown
   * or different. Paths `keep` accepts stay as the snapshot has them; where it has none, `desired` fills in.
   */
  plan(desired: FileTree, keep?: (path: string) => boolean): Plan {
    const added: string[] = [];
    const modified: string[] = [];
    const removed: string[] = [];
    const blobs: PendingBlob[] = [];
    for (const [p, content] of desired) {
      const old = this.files.get(p);
      if (old && keep?.(p)) continue;
      if (old && old.mode === FILE_MODE && old.content === content) continue;
      if (!old) checkFilePath(p);
      const oid = blobId(content);
      if (old && old.mode === FILE_MODE && old.oid === oid) {
        old.content = content; // remember it: next time a string comparison suffices
        continue;
      }
      (old ? modified : added).push(p);
      blobs.push({ path: p, content, oid });
    }
    for (const p of this.files.keys()) if (!desired.has(p) && !keep?.(p)) removed.push(p);
    if (added.length > 0) this.checkFileDirClashes(added, desired);
    added.sort();
    modified.sort();
    removed.sort();
    const changedPaths = [...added, ...modified, ...removed].sort();
    return { added, modified, removed, changedPaths, blobs };
  }

  /** A path may not be both a file and a directory. */
  private checkFileDirClashes(added: string[], desired: FileTree): void {
    for (const p of added) {
      for (let d = parentDir(p); d !== ''; d = parentDir(d)) {
        if (desired.has(d)) throw new GitError('other', `file path "${d}" is both a file and a directory (see "${p}")`);
      }
      if (this.dirs.has(p)) {
        for (const q of this.files.keys()) {
          if (q.startsWith(p + '/') && desired.has(q)) {
            throw new GitError('other', `file path "${p}" is both a file and a directory (see "${q}")`);
          }
        }
      }
    }
  }

  /**
   * Write the plan's blobs and the trees above them; returns the new snapshot (this one is left
   * as it was, so a rejected push can retry from either) and the ids of every object written.
   */
  async apply(plan: Plan, store: ObjectStore): Promise<{ tree: OwnedTree; written: string[] }> {
    const written: string[] = [];
    if (plan.blobs.length === 0 && plan.removed.length === 0) return { tree: this, written };
    const files = new Map(this.files);
    const dirs = new Map(this.dirs);
    const copied = new Set<string>();
    const dir = (d: string): Map<string, TreeEntry> => {
      let m = dirs.get(d);
      if (!m || !copied.has(d)) {
        m = new Map(m);
        dirs.set(d, m);
        copied.add(d);
      }
      return m;
    };
    const dirty = new Set<string>();
    const touch = (d: string): void => {
      for (;;) {
        if (dirty.has(d)) return;
        dirty.add(d);
        if (d === '') return;
        d = parentDir(d);
      }
    };

    for (const p of plan.removed) {
      files.delete(p);
      const d = parentDir(p);
      dir(d).delete(baseName(p));
      touch(d);
    }
    for (const b of plan.blobs) {
      const oid = await store.writeBlob(Buffer.from(b.content));
      if (oid !== b.oid) throw new GitError('other', `blob id mismatch for ${b.path}: ${oid} != ${b.oid}`);
      written.push(oid);
      files.set(b.path, { oid, mode: FILE_MODE, content: b.content });
      const d = parentDir(b.path);
      dir(d).set(baseName(b.path), { mode: FILE_MODE, path: baseName(b.path), oid, type: 'blob' });
      touch(d);
    }

    // Deepest directories first, so each parent sees its children's new ids.
    const order = [...dirty].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1));
    let rootOid: string | undefined;
    for (const d of order) {
      const entries = dir(d);
      let oid: string | undefined;
      if (entries.size === 0) {
        dirs.delete(d);
      } else {
        oid = await store.writeTree([...entries.values()]);
        written.push(oid);
      }
      if (d === '') {
        rootOid = oid;
        continue;
      }
      const parent = dir(parentDir(d));
      const name = baseName(d);
      if (oid !== undefined) parent.set(name, { mode: TREE_MODE, path: name, oid, type: 'tree' });
      else if (parent.get(name)?.type === 'tree') parent.delete(name);
    }
    return { tree: new OwnedTree(rootOid, files, dirs), written };
  }
}

function depth(p: string): number {
  if (p === '') return 0;
  let n = 1;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) n++;
  return n;
}
