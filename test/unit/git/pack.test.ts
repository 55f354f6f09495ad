// pack.ts against the git CLI: packs git writes (with deltas) are indexed to the same .idx entries
// git computes; packs we write are accepted by `git index-pack --strict`; trees and commits hash to
// the ids git gives them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { applyDelta, decodeTree, encodeCommit, encodeTree, indexPack, objectId, PackWriter, storedZlib } from '../../../src/git/pack.js';

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.com', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.com' };
const git = (cwd: string, args: string[], input?: Buffer | string): string =>
  execFileSync('git', args, { cwd, env: ENV, input, encoding: 'utf8', maxBuffer: 1 << 28 });
const gitBytes = (cwd: string, args: string[]): Buffer => execFileSync('git', args, { cwd, env: ENV, maxBuffer: 1 << 28 });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kure-pack-'));
  git(dir, ['init', '-q', '--bare', '.']);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A repository whose files change a little from commit to commit, so `git repack` makes delta chains. */
function seedHistory(commits: number): string {
  let parent = '';
  for (let c = 0; c < commits; c++) {
    const stream: string[] = [`commit refs/heads/main\ncommitter A <a@example.com> ${1700000000 + c} +0000\ndata 3\nc${c}\n`];
    if (parent) stream.push(`from ${parent}\n`);
    for (let f = 0; f < 30; f++) {
      const body = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: file-${f}\ndata:\n${Array.from({ length: 40 }, (_, i) => `  key${i}: value-${i}-${i === c % 40 ? c : 0}\n`).join('')}`;
      stream.push(`M 100644 inline dir-${f % 4}/sub/file-${f}.yaml\ndata ${Buffer.byteLength(body)}\n${body}\n`);
    }
    git(dir, ['fast-import', '--quiet'], stream.join('') + '\n');
    parent = git(dir, ['rev-parse', 'refs/heads/main']).trim();
  }
  git(dir, ['repack', '-adq', '--depth=50', '--window=50']);
  return parent;
}

describe('indexPack', () => {
  it('indexes a pack git wrote, deltas and all, exactly as git does', () => {
    seedHistory(12);
    const packDir = join(dir, 'objects', 'pack');
    const name = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
    const pack = readFileSync(join(packDir, name));
    const verify = git(dir, ['verify-pack', '-v', join(packDir, name.replace(/pack$/, 'idx'))]);
    expect(verify).toMatch(/ \d+ [0-9a-f]{40}\n/); // there are deltas
    const ix = indexPack(pack);
    expect(`pack-${ix.sha}.pack`).toBe(name);
    expect(ix.idx!.equals(readFileSync(join(packDir, name.replace(/pack$/, 'idx'))))).toBe(true);
    const trees = git(dir, ['rev-list', '--objects', '--all']).split('\n').filter(Boolean).length;
    expect(ix.count).toBe(trees);
    expect(ix.trees.size).toBeGreaterThan(12);
    for (const [oid, raw] of ix.trees) expect(raw.equals(gitBytes(dir, ['cat-file', 'tree', oid]))).toBe(true);
    for (const [oid, raw] of ix.commits) expect(raw.equals(gitBytes(dir, ['cat-file', 'commit', oid]))).toBe(true);
  });

  it('skips blobs when asked: the same trees and commits, no index', () => {
    seedHistory(6);
    const packDir = join(dir, 'objects', 'pack');
    const pack = readFileSync(join(packDir, readdirSync(packDir).find((f) => f.endsWith('.pack'))!));
    const full = indexPack(pack);
    const lean = indexPack(pack, { skipBlobs: true });
    expect(lean.idx).toBeUndefined();
    expect(lean.blobs).toBe(full.blobs);
    expect(full.blobs).toBeGreaterThan(30);
    expect([...lean.trees.keys()].sort()).toEqual([...full.trees.keys()].sort());
    expect([...lean.commits.keys()].sort()).toEqual([...full.commits.keys()].sort());
  });

  it('rejects a truncated or corrupted pack', () => {
    seedHistory(2);
    const packDir = join(dir, 'objects', 'pack');
    const pack = readFileSync(join(packDir, readdirSync(packDir).find((f) => f.endsWith('.pack'))!));
    expect(() => indexPack(pack.subarray(0, pack.length - 100))).toThrow(/checksum|truncated/);
    const bad = Buffer.from(pack);
    bad[200] = bad[200]! ^ 0xff;
    expect(() => indexPack(bad)).toThrow();
  });
});

describe('PackWriter and the encodings', () => {
  it('stores trees as zlib streams that node:zlib and git read back: empty, one block, several blocks', () => {
    for (const size of [0, 1, 65535, 65536, 200_001]) {
      const content = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919) % 251));
      expect(zlib.inflateSync(storedZlib(content)).equals(content)).toBe(true);
    }
    // A tree of 4,000 entries (~150 KB: three stored blocks) in a pack git accepts strictly.
    const w = new PackWriter();
    const blob = w.add('blob', Buffer.from('x\n'));
    const entries = Array.from({ length: 4000 }, (_, i) => ({ mode: '100644', path: `file-${String(i).padStart(5, '0')}.yaml`, oid: blob, type: 'blob' as const }));
    const root = w.add('tree', encodeTree(entries));
    const { pack, idx, sha } = w.finish();
    writeFileSync(join(dir, 'big.pack'), pack);
    git(dir, ['index-pack', '--strict', 'big.pack']);
    expect(readFileSync(join(dir, 'big.idx')).equals(idx)).toBe(true);
    writeFileSync(join(dir, 'objects', 'pack', `pack-${sha}.pack`), pack);
    writeFileSync(join(dir, 'objects', 'pack', `pack-${sha}.idx`), idx);
    expect(git(dir, ['cat-file', '-p', root]).split('\n').filter(Boolean)).toHaveLength(4000);
    // And indexPack reads it back (it inflates every object to find the next).
    expect(indexPack(pack).trees.get(root)?.equals(w.trees.get(root)!)).toBe(true);
  });

  it('writes blobs, trees and a commit that git accepts strictly, with the ids git computes', () => {
    const w = new PackWriter();
    const blob = w.add('blob', Buffer.from('hello\n'));
    expect(blob).toBe(git(dir, ['hash-object', '--stdin'], 'hello\n').trim());
    const sub = w.add('tree', encodeTree([{ mode: '100644', path: 'a.yaml', oid: blob, type: 'blob' }]));
    const entries = [
      { mode: '100644', path: 'z', oid: blob, type: 'blob' as const },
      { mode: '040000', path: 'dir', oid: sub, type: 'tree' as const },
      { mode: '100644', path: 'dir.txt', oid: blob, type: 'blob' as const },
      { mode: '100755', path: 'run.sh', oid: blob, type: 'blob' as const },
    ];
    const root = w.add('tree', encodeTree(entries));
    expect(decodeTree(w.trees.get(root)!).map((e) => e.path)).toEqual(['dir.txt', 'dir', 'run.sh', 'z']); // git's order: "dir/" after "dir.txt"
    const who = { name: 'Kure', email: 'kure@example.com', timestamp: 1700000000 };
    const commit = w.add('commit', encodeCommit({ tree: root, parents: [], author: who, committer: who, message: 'one\n' }));
    const { pack, idx, sha } = w.finish();
    writeFileSync(join(dir, 'p.pack'), pack);
    git(dir, ['index-pack', '--strict', 'p.pack']); // git's own checks of every object
    expect(readFileSync(join(dir, 'p.idx')).equals(idx)).toBe(true);
    expect(indexPack(pack).sha).toBe(sha);
    writeFileSync(join(dir, 'objects', 'pack', `pack-${sha}.pack`), pack);
    writeFileSync(join(dir, 'objects', 'pack', `pack-${sha}.idx`), idx);
    git(dir, ['verify-pack', join(dir, 'objects', 'pack', `pack-${sha}.idx`)]);
    git(dir, ['update-ref', 'refs/heads/main', commit]);
    git(dir, ['fsck', '--strict', '--no-dangling']);
    expect(git(dir, ['ls-tree', '-r', '--name-only', 'main']).split('\n').filter(Boolean)).toEqual(['dir.txt', 'dir/a.yaml', 'run.sh', 'z']);
    expect(objectId('tree', w.trees.get(root)!)).toBe(root);
  });

  it('refuses author fields that would corrupt a commit', () => {
    const who = { name: 'Evil <x>', email: 'e@example.com', timestamp: 0 };
    expect(() => encodeCommit({ tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', parents: [], author: who, committer: who, message: 'm' })).toThrow(/may not contain/);
  });

  it('applies copy and insert delta instructions', () => {
    const base = Buffer.from('0123456789abcdef');
    // base size 16, result size 7: copy 4 bytes from offset 2, insert "XYZ"
    const delta = Buffer.from([16, 7, 0x80 | 0x01 | 0x10, 2, 4, 3, ...Buffer.from('XYZ')]);
    expect(applyDelta(base, delta).toString()).toBe('2345XYZ');
    expect(() => applyDelta(Buffer.from('short'), delta)).toThrow(/base size/);
  });
});
