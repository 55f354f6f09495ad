// Git packfiles and their indexes, with node:zlib and node:crypto (native) rather than
// isomorphic-git's JavaScript inflate and SHA-1: indexing the pack of a 50,000-file repository took
// isomorphic-git seconds. Three jobs:
// - indexPack: a pack received from a server → its `.idx` (version 2) and the raw trees and commits
//   in it (the sink reads trees, never blobs);
// - PackWriter: the objects of one commit → one pack (what is pushed and what is kept locally) and
//   its `.idx`, instead of one loose file per object;
// - the canonical encodings of trees and commits, so object ids are computed here.
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';
const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const CODE_TYPE: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** Git's object id: SHA-1 of `<type> <size>\0<content>`. */
export function objectId(type: ObjectType, content: Uint8Array): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

/** Git's tree order: names compared as bytes, a directory as if its name ended in '/'. */
function treeOrder(a: TreeEntry, b: TreeEntry): number {
  const x = a.type === 'tree' ? `${a.path}/` : a.path;
  const y = b.type === 'tree' ? `${b.path}/` : b.path;
  return Buffer.compare(Buffer.from(x), Buffer.from(y));
}

/** The canonical content of a tree object. */
export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...entries].sort(treeOrder)) {
    const mode = e.mode.replace(/^0+/, ''); // trees are `40000` inside a tree object
    parts.push(Buffer.from(`${mode} ${e.path}\0`), Buffer.from(e.oid, 'hex'));
  }
  return Buffer.concat(parts);
}

export function decodeTree(content: Uint8Array): TreeEntry[] {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < buf.length) {
    const space = buf.indexOf(32, i);
    const nul = buf.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > buf.length) throw new Error('malformed tree object');
    let mode = buf.toString('latin1', i, space);
    if (mode === '40000') mode = '040000';
    const path = buf.toString('utf8', space + 1, nul);
    const oid = buf.toString('hex', nul + 1, nul + 21);
    out.push({ mode, path, oid, type: mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob' });
    i = nul + 21;
  }
  return out;
}

export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
}

/** The canonical content of a commit object (UTC, no signature). */
export function encodeCommit(c: { tree: string; parents: string[]; author: Signature; committer: Signature; message: string }): Buffer {
  const who = (s: Signature): string => {
    if (/[<>\n]/.test(s.name) || /[<>\n]/.test(s.email)) throw new Error('author name and email may not contain <, > or a line break');
    return `${s.name} <${s.email}> ${Math.floor(s.timestamp)} +0000`;
  };
  const head = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${who(c.author)}`, `committer ${who(c.committer)}`];
  return Buffer.from(`${head.join('\n')}\n\n${c.message}`);
}

/** The tree id a commit object names. */
export function commitTree(content: Uint8Array): string {
  const text = Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, 46)).toString('latin1');
  if (!text.startsWith('tree ')) throw new Error('malformed commit object');
  return text.slice(5, 45);
}

/** Apply a Git delta to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let shift = 0;
    let b: number;
    do {
      b = delta[i++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return n;
  };
  const baseSize = varint();
  if (baseSize !== base.length) throw new Error('delta base size mismatch');
  const out = Buffer.allocUnsafe(varint());
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++]!;
    if (op & 0x80) {
      let off = 0;
      let size = 0;
      for (let k = 0; k < 4; k++) if (op & (1 << k)) off += delta[i++]! * 2 ** (8 * k);
      for (let k = 0; k < 3; k++) if (op & (0x10 << k)) size += delta[i++]! << (8 * k);
      if (size === 0) size = 0x10000;
      if (off + size > base.length || o + size > out.length) throw new Error('delta copy out of range');
      base.copy(out, o, off, off + size);
      o += size;
    } else if (op > 0) {
      if (i + op > delta.length || o + op > out.length) throw new Error('delta insert out of range');
      delta.copy(out, o, i, i + op);
      i += op;
      o += op;
    } else throw new Error('delta opcode 0 is reserved');
  }
  if (o !== out.length) throw new Error('delta result size mismatch');
  return out;
}

export interface IndexedPack {
  /** The `.idx` (version 2) for this pack; undefined when blobs were skipped (their ids are unknown). */
  idx: Buffer | undefined;
  /** The pack's own checksum (its name: `pack-<sha>.pack`). */
  sha: string;
  /** Objects in the pack. */
  count: number;
  /** Blobs in the pack (skipped ones included). */
  blobs: number;
  /** Raw content of every tree and commit in the pack, by id. */
  trees: Map<string, Buffer>;
  commits: Map<string, Buffer>;
}

interface Entry {
  offset: number;
  /** End of the compressed data (the next entry's offset). */
  end: number;
  type: number;
  data: Buffer;
  baseOffset?: number;
  baseOid?: string;
  oid?: string;
  resolvedType?: ObjectType;
}

/**
 * Index a complete (non-thin) pack: every object is inflated once (it is the only way to find
 * where the next one starts); deltas are resolved against their bases in the pack. With
 * `skipBlobs`, blobs are neither hashed nor kept, nor are deltas on them resolved (the sink needs
 * trees and commits only; a pack from a server that cannot leave blobs out is mostly blobs): there
 * is then no `.idx` when the pack held any blob.
 */
export function indexPack(pack: Buffer, opts: { skipBlobs?: boolean } = {}): IndexedPack {
  const skipBlobs = opts.skipBlobs === true;
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('not a Git pack');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new Error(`unsupported pack version ${version}`);
  const count = pack.readUInt32BE(8);
  const trailer = pack.length - 20;
  const sha = createHash('sha1').update(pack.subarray(0, trailer)).digest('hex');
  if (sha !== pack.toString('hex', trailer)) throw new Error('pack checksum mismatch (truncated or corrupt)');

  const entries: Entry[] = [];
  const byOffset = new Map<number, Entry>();
  let blobs = 0;
  let p = 12;
  for (let n = 0; n < count; n++) {
    const offset = p;
    let b = pack[p++]!;
    const type = (b >> 4) & 7;
    let size = b & 15;
    for (let shift = 4; b & 0x80; shift += 7) {
      b = pack[p++]!;
      size += (b & 0x7f) * 2 ** shift;
    }
    const e: Entry = { offset, end: 0, type, data: EMPTY };
    if (type === OFS_DELTA) {
      b = pack[p++]!;
      let rel = b & 0x7f;
      while (b & 0x80) {
        b = pack[p++]!;
        rel = (rel + 1) * 128 + (b & 0x7f);
      }
      e.baseOffset = offset - rel;
    } else if (type === REF_DELTA) {
      e.baseOid = pack.toString('hex', p, p + 20);
      p += 20;
    } else if (!CODE_TYPE[type]) throw new Error(`unknown object type ${type} at offset ${offset}`);
    if (p >= trailer) throw new Error('truncated pack');
    // An output chunk of the object's size: the default (16 KB) per object was most of the garbage.
    const { buffer, engine } = zlib.inflateSync(pack.subarray(p, trailer), { info: true, chunkSize: Math.max(64, size) }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    if (buffer.length !== size) throw new Error(`object at offset ${offset} inflates to ${buffer.length} bytes, not ${size}`);
    e.data = buffer;
    p += engine.bytesWritten;
    e.end = p;
    if (type === 3) blobs++;
    if (skipBlobs && type === 3) {
      byOffset.set(offset, SKIPPED_BLOB); // not hashed, not kept: only a possible delta base
      continue;
    }
    if (CODE_TYPE[type]) {
      e.resolvedType = CODE_TYPE[type];
      e.oid = objectId(e.resolvedType, buffer);
    }
    entries.push(e);
    byOffset.set(offset, e);
  }
  if (p !== trailer) throw new Error('pack has trailing data after its objects');

  // Deltas, resolved through chains of any depth. A REF_DELTA's base is known by id only once
  // resolved itself, so go round until every delta is resolved or no progress is made.
  const byOid = new Map<string, Entry>();
  for (const e of entries) if (e.oid) byOid.set(e.oid, e);
  const resolve = (e: Entry, depth: number): boolean => {
    if (e.oid || e.resolvedType === 'blob') return true;
    if (depth > 10_000) throw new Error('delta chain too deep');
    const base = e.baseOffset !== undefined ? byOffset.get(e.baseOffset) : byOid.get(e.baseOid!);
    if (!base) {
      if (e.baseOffset !== undefined) throw new Error(`delta base at offset ${e.baseOffset} is not an object of the pack`);
      return false;
    }
    if (!resolve(base, depth + 1)) return false;
    e.resolvedType = base.resolvedType!;
    if (skipBlobs && e.resolvedType === 'blob') {
      blobs++;
      e.data = EMPTY;
      return true;
    }
    if (e.resolvedType === 'blob') blobs++;
    e.data = applyDelta(base.data, e.data);
    e.oid = objectId(e.resolvedType, e.data);
    byOid.set(e.oid, e);
    return true;
  };
  let unresolved = entries.filter((e) => !e.oid && !e.resolvedType);
  while (unresolved.length > 0) {
    const before = unresolved.length;
    unresolved = unresolved.filter((e) => !resolve(e, 0));
    if (unresolved.length === before) {
      // A delta naming its base by id may name a blob we did not hash: index again, hashing all.
      if (skipBlobs) return indexPack(pack, { skipBlobs: false });
      throw new Error(`delta base ${unresolved[0]!.baseOid} is not in the pack (a thin pack?)`);
    }
  }

  const trees = new Map<string, Buffer>();
  const commits = new Map<string, Buffer>();
  for (const e of entries) {
    if (e.resolvedType === 'tree') trees.set(e.oid!, e.data);
    else if (e.resolvedType === 'commit') commits.set(e.oid!, e.data);
  }
  const idx =
    skipBlobs && blobs > 0
      ? undefined
      : encodeIndex(
          entries.map((e) => ({ oid: e.oid!, offset: e.offset, crc: zlib.crc32(pack.subarray(e.offset, e.end)) })),
          sha,
        );
  return { idx, sha, count, blobs, trees, commits };
}

const EMPTY = Buffer.alloc(0);
const SKIPPED_BLOB: Entry = { offset: -1, end: -1, type: 3, data: EMPTY, resolvedType: 'blob' };

/** A version 2 pack index. */
function encodeIndex(objects: { oid: string; offset: number; crc: number }[], packSha: string): Buffer {
  const sorted = [...objects].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((o) => o.offset >= 0x80000000);
  const buf = Buffer.alloc(8 + 256 * 4 + n * (20 + 4 + 4) + large.length * 8 + 40);
  buf.write('\xfftOc', 0, 'latin1');
  buf.writeUInt32BE(2, 4);
  let counts = 0;
  let j = 0;
  for (let byte = 0; byte < 256; byte++) {
    while (j < n && parseInt(sorted[j]!.oid.slice(0, 2), 16) === byte) {
      j++;
      counts++;
    }
    buf.writeUInt32BE(counts, 8 + byte * 4);
  }
  let o = 8 + 1024;
  for (const obj of sorted) o += buf.write(obj.oid, o, 'hex');
  for (const obj of sorted) o = buf.writeUInt32BE(obj.crc >>> 0, o);
  let li = 0;
  for (const obj of sorted) o = buf.writeUInt32BE(obj.offset >= 0x80000000 ? (0x80000000 | li++) >>> 0 : obj.offset, o);
  for (const obj of large) o = buf.writeBigUInt64BE(BigInt(obj.offset), o);
  o += buf.write(packSha, o, 'hex');
  buf.write(createHash('sha1').update(buf.subarray(0, o)).digest('hex'), o, 'hex');
  return buf;
}

/** A zlib stream (RFC 1950) of `content` in stored, uncompressed deflate blocks (RFC 1951 §3.2.4). */
export function storedZlib(content: Uint8Array): Buffer {
  const MAX = 65535;
  const blocks = Math.max(1, Math.ceil(content.length / MAX));
  const out = Buffer.allocUnsafe(2 + blocks * 5 + content.length + 4);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let o = 2;
  for (let i = 0; i < blocks; i++) {
    const start = i * MAX;
    const len = Math.min(MAX, content.length - start);
    out[o] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out.writeUInt16LE(len, o + 1);
    out.writeUInt16LE(~len & 0xffff, o + 3);
    out.set(content.subarray(start, start + len), o + 5);
    o += 5 + len;
  }
  out.writeUInt32BE(adler32(content), o);
  return out;
}

function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; ) {
    // 5552 bytes is the most that cannot overflow before the modulo (zlib's NMAX).
    const end = Math.min(i + 5552, b.length);
    for (; i < end; i++) {
      a += b[i] as number;
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Objects written into one pack (for a push, and kept in the local cache with its index). */
export class PackWriter {
  private readonly chunks: Buffer[] = [];
  private readonly objects: { oid: string; offset: number; crc: number }[] = [];
  private readonly seen = new Set<string>();
  private size = 12;
  /** Raw content of the trees and commits written, by id. */
  readonly trees = new Map<string, Buffer>();
  readonly commits = new Map<string, Buffer>();

  get count(): number {
    return this.objects.length;
  }

  /** Add an object (once per id); returns its id. `known`: its id, already computed (compacting re-packs objects by id). */
  add(type: ObjectType, content: Buffer, known?: string): string {
    const oid = known ?? objectId(type, content);
    if (this.seen.has(oid)) return oid;
    this.seen.add(oid);
    if (type === 'tree') this.trees.set(oid, content);
    else if (type === 'commit') this.commits.set(oid, content);
    // Header: type and size, 4 bits then 7 per byte.
    const head: number[] = [];
    let size = content.length;
    let byte = (TYPE_CODE[type] << 4) | (size & 15);
    size = Math.floor(size / 16);
    while (size > 0) {
      head.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    head.push(byte);
    // Trees (mostly binary ids) and commits are small and compress little: zlib's set-up per call
    // (~70 µs) made compacting a cache of 10,000 trees take a second, so they go in stored blocks.
    const data = type === 'blob' ? zlib.deflateSync(content, { level: 1 }) : storedZlib(content);
    const entry = Buffer.concat([Buffer.from(head), data]);
    this.objects.push({ oid, offset: this.size, crc: zlib.crc32(entry) });
    this.chunks.push(entry);
    this.size += entry.length;
    return oid;
  }

  /** The pack and its index. */
  finish(): { pack: Buffer; idx: Buffer; sha: string } {
    const header = Buffer.alloc(12);
    header.write('PACK', 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(this.objects.length, 8);
    const body = Buffer.concat([header, ...this.chunks]);
    const sha = createHash('sha1').update(body).digest('hex');
    const pack = Buffer.concat([body, Buffer.from(sha, 'hex')]);
    return { pack, idx: encodeIndex(this.objects, sha), sha };
  }
}
