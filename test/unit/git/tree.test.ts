// OwnedTree: the owned directory as Git trees in memory (src/git/tree.ts), against a fake,
// content-addressed object store that counts what is read and written.
import { createHash } from 'node:crypto';
import { OwnedTree, blobId, type ObjectStore, type TreeEntry } from '../../../src/git/tree.js';

class FakeStore implements ObjectStore {
  trees = new Map<string, TreeEntry[]>();
  blobs = new Map<string, string>();
  reads = 0;
  treeWrites = 0;
  blobWrites = 0;
  async readTree(oid: string): Promise<TreeEntry[]> {
    this.reads++;
    const t = this.trees.get(oid);
    if (!t) throw new Error(`no tree ${oid}`);
    return t;
  }
  async writeBlob(content: Uint8Array): Promise<string> {
    this.blobWrites++;
    const oid = blobId(content);
    this.blobs.set(oid, Buffer.from(content).toString());
    return oid;
  }
  async writeTree(entries: TreeEntry[]): Promise<string> {
    this.treeWrites++;
    const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : 1));
    const oid = createHash('sha1').update(JSON.stringify(sorted)).digest('hex');
    this.trees.set(oid, sorted);
    return oid;
  }
  /** Every file under a tree, path → content. */
  async files(oid: string | undefined, prefix = ''): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    if (!oid) return out;
    for (const e of this.trees.get(oid)!) {
      const p = prefix + e.path;
      if (e.type === 'tree') Object.assign(out, await this.files(e.oid, p + '/'));
      else out[p] = this.blobs.get(e.oid)!;
    }
    return out;
  }
}

const m = (o: Record<string, string>) => new Map(Object.entries(o));

async function build(store: FakeStore, files: Record<string, string>): Promise<OwnedTree> {
  const empty = OwnedTree.empty();
  return (await empty.apply(empty.plan(m(files)), store)).tree;
}

const files = {
  'kustomization.yaml': 'k\n',
  'apps/a/deploy.yaml': 'a\n',
  'apps/a/svc.yaml': 'as\n',
  'apps/b/deploy.yaml': 'b\n',
  'infra/x/hr.yaml': 'x\n',
};

describe('OwnedTree', () => {
  it('builds the tree of a FileTree and reports every file as added', async () => {
    const store = new FakeStore();
    const empty = OwnedTree.empty();
    const plan = empty.plan(m(files));
    expect(plan.added).toEqual(Object.keys(files).sort());
    expect(plan.modified).toEqual([]);
    const { tree, written } = await empty.apply(plan, store);
    expect(await store.files(tree.oid)).toEqual(files);
    expect(tree.size).toBe(5);
    // 5 blobs + trees: root, apps, apps/a, apps/b, infra, infra/x
    expect(written).toHaveLength(11);
    expect(empty.oid).toBeUndefined();
  });

  it('finds nothing to do for the same tree, without hashing or writing', async () => {
    const store = new FakeStore();
    const t = await build(store, files);
    const plan = t.plan(m({ ...files }));
    expect(plan.changedPaths).toEqual([]);
    const { tree, written } = await t.apply(plan, store);
    expect(tree).toBe(t);
    expect(written).toEqual([]);
  });

  it('rewrites only the changed blob and the trees above it; other subtrees keep their ids', async () => {
    const store = new FakeStore();
    const t = await build(store, files);
    const before = { writes: store.treeWrites, blobs: store.blobWrites };
    const plan = t.plan(m({ ...files, 'apps/a/svc.yaml': 'changed\n' }));
    expect(plan.modified).toEqual(['apps/a/svc.yaml']);
    const { tree } = await t.apply(plan, store);
    expect(store.blobWrites - before.blobs).toBe(1);
    expect(store.treeWrites - before.writes).toBe(3); // apps/a, apps, root
    const root = store.trees.get(tree.oid!)!;
    const oldRoot = store.trees.get(t.oid!)!;
    expect(root.find((e) => e.path === 'infra')!.oid).toBe(oldRoot.find((e) => e.path === 'infra')!.oid);
    const apps = store.trees.get(root.find((e) => e.path === 'apps')!.oid)!;
    const oldApps = store.trees.get(oldRoot.find((e) => e.path === 'apps')!.oid)!;
    expect(apps.find((e) => e.path === 'b')!.oid).toBe(oldApps.find((e) => e.path === 'b')!.oid);
    // The old snapshot is unchanged (a rejected push can retry from it).
    expect(await store.files(t.oid)).toEqual(files);
    expect(await store.files(tree.oid)).toEqual({ ...files, 'apps/a/svc.yaml': 'changed\n' });
  });

  it('removes files, and directories that become empty; removing everything leaves no tree', async () => {
    const store = new FakeStore();
    const t = await build(store, files);
    const rest: Record<string, string> = { ...files };
    delete rest['infra/x/hr.yaml'];
    const plan = t.plan(m(rest));
    expect(plan.removed).toEqual(['infra/x/hr.yaml']);
    const { tree } = await t.apply(plan, store);
    expect(store.trees.get(tree.oid!)!.map((e) => e.path).sort()).toEqual(['apps', 'kustomization.yaml']);
    const gone = await tree.apply(tree.plan(new Map()), store);
    expect(gone.tree.oid).toBeUndefined();
    expect(gone.tree.size).toBe(0);
  });

  it('keeps the paths `keep` accepts as the snapshot has them, and fills in from desired only what it lacks', async () => {
    const store = new FakeStore();
    const t = await build(store, files);
    const keep = (p: string) => p.startsWith('apps/a/') || p === 'apps/new.yaml';
    // desired drops apps/a/svc.yaml and changes apps/a/deploy.yaml: both kept; apps/new.yaml is absent, so it goes in.
    const desired: Record<string, string> = { ...files, 'apps/a/deploy.yaml': 'changed\n', 'apps/b/deploy.yaml': 'b2\n', 'apps/new.yaml': 'n\n' };
    delete desired['apps/a/svc.yaml'];
    const plan = t.plan(m(desired), keep);
    expect(plan.changedPaths).toEqual(['apps/b/deploy.yaml', 'apps/new.yaml']);
    const { tree } = await t.apply(plan, store);
    expect(await store.files(tree.oid)).toEqual({ ...files, 'apps/b/deploy.yaml': 'b2\n', 'apps/new.yaml': 'n\n' });
  });

  it('replaces a file by a directory and a directory by a file', async () => {
    const store = new FakeStore();
    const t = await build(store, { a: 'file\n', 'b/c.yaml': 'c\n' });
    const { tree } = await t.apply(t.plan(m({ 'a/inner.yaml': 'i\n', b: 'now a file\n' })), store);
    expect(await store.files(tree.oid)).toEqual({ 'a/inner.yaml': 'i\n', b: 'now a file\n' });
  });

  it('loads a subtree by reading trees only, then compares by hashing once', async () => {
    const store = new FakeStore();
    const t = await build(store, files);
    store.reads = 0;
    const loaded = await OwnedTree.load(store, t.oid);
    expect(store.reads).toBe(6); // the six trees, no blob
    expect(loaded.oid).toBe(t.oid);
    expect(loaded.plan(m(files)).changedPaths).toEqual([]);
    expect(loaded.plan(m({ ...files, 'apps/b/deploy.yaml': 'b2\n' })).changedPaths).toEqual(['apps/b/deploy.yaml']);
  });

  it('rejects a path that is both a file and a directory, and unsafe paths', () => {
    const t = OwnedTree.empty();
    expect(() => t.plan(m({ a: '1', 'a/b': '2' }))).toThrow(/both a file and a directory/);
    expect(() => t.plan(m({ '../x': '1' }))).toThrow(/escapes/);
    expect(() => t.plan(m({ 'x/.git/config': '1' }))).toThrow(/\.git/);
  });

  it('computes Git blob ids', () => {
    // as `git hash-object --stdin` computes them
    expect(blobId('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(blobId('')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });
});
