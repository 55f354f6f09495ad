// `kure render|validate|diff` as a user runs them: exit codes, messages, nothing written on bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { readTree } from '../../../src/cli/write-tree.js';

const EXAMPLES = join(process.cwd(), 'examples', 'platform');
const GOLDEN = join(process.cwd(), 'test', 'golden', 'platform');

function run(argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  return main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: () => stdin }).then((code) => ({ code, out, err }));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kure-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kure render', () => {
  it('renders the examples to the golden trees (UPDATE_GOLDEN=1 to refresh)', async () => {
    const { code, out } = await run(['render', '-f', EXAMPLES, '-o', dir]);
    expect(code).toBe(0);
    expect(out).toEqual([
      `platform-staging/staging: wrote ${readTree(join(dir, 'clusters/staging')).size} files to ${join(dir, 'clusters/staging')}`,
      `platform/production: wrote ${readTree(join(dir, 'clusters/production')).size} files to ${join(dir, 'clusters/production')}`,
    ]);
    const actual = readTree(dir);
    if (process.env.UPDATE_GOLDEN) {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [p, text] of actual) {
        mkdirSync(join(GOLDEN, p, '..'), { recursive: true });
        writeFileSync(join(GOLDEN, p), text);
      }
    }
    const golden = readTree(GOLDEN);
    expect([...actual.keys()]).toEqual([...golden.keys()]);
    for (const [p, text] of golden) expect(`${p}:\n${actual.get(p)}`).toBe(`${p}:\n${text}`);
  });

  it('is deterministic: same input, same bytes, whatever the file order', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await run(['render', '-f', EXAMPLES, '-o', a]);
    const files = ['team-a', 'staging', 'production-infrastructure', 'production-cluster', 'production-apps'].flatMap((f) => ['-f', join(EXAMPLES, `${f}.yaml`)]);
    await run(['render', ...files, '-o', b]);
    expect(readTree(b)).toEqual(readTree(a));
  });

  it('replaces stale files under the owned path and leaves everything else alone', async () => {
    mkdirSync(join(dir, 'clusters', 'production', 'old'), { recursive: true });
    writeFileSync(join(dir, 'clusters', 'production', 'old', 'stale.yaml'), 'x: 1\n');
    writeFileSync(join(dir, 'README.md'), 'mine\n');
    expect((await run(['render', '-f', EXAMPLES, '-o', dir])).code).toBe(0);
    expect(existsSync(join(dir, 'clusters', 'production', 'old'))).toBe(false);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('mine\n');
  });

  it('reads stdin with -', async () => {
    const text = readFileSync(join(EXAMPLES, 'staging.yaml'), 'utf8');
    const { code } = await run(['render', '-f', '-', '-o', dir], text);
    expect(code).toBe(0);
    expect(existsSync(join(dir, 'clusters', 'staging', 'apps', 'kustomization.yaml'))).toBe(true);
  });

  it('exits 1, prints every problem and writes nothing when the input is invalid', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      readFileSync(join(EXAMPLES, 'staging.yaml'), 'utf8')
        .replace('dependsOn: [{name: cert-manager}]', 'dependsOn: [{name: web}]')
        .replace('engine: argocd', 'engine: argo'),
    );
    const out = join(dir, 'out');
    const { code, err } = await run(['render', '-f', bad, '-o', out]);
    expect(code).toBe(1);
    expect(err).toEqual([
      'KureBundle platform-staging/web: spec.dependsOn[0].name: a bundle cannot depend on itself',
      'KureCluster platform-staging/staging: spec.gitops.engine: must be one of: flux, argocd (got "argo")',
      '2 problems found; nothing was written',
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('reports malformed YAML with file and line, and writes nothing', async () => {
    const bad = join(dir, 'broken.yaml');
    writeFileSync(bad, 'apiVersion: kure.dev/v1alpha1\nkind: KureCluster\nmetadata: {name: x\n');
    const { code, err } = await run(['render', '-f', bad, '-f', EXAMPLES, '-o', join(dir, 'out')]);
    expect(code).toBe(1);
    // The parser notices the unclosed flow map where the file ends.
    expect(err[0]).toMatch(new RegExp(`^${bad}:4:1: invalid YAML: Flow map`));
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('rejects unknown kinds and versions of the Kure group, and skips other objects with a warning', async () => {
    const f = join(dir, 'mixed.yaml');
    writeFileSync(f, 'apiVersion: kure.dev/v1\nkind: KureCluster\nmetadata: {name: x}\n---\napiVersion: kure.dev/v1alpha1\nkind: KureThing\nmetadata: {name: y}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: z}\n');
    const { code, err } = await run(['validate', '-f', f]);
    expect(code).toBe(1);
    expect(err).toEqual([
      `warning: ${f}:9:1: ConfigMap v1 is not a Kure resource`,
      `${f}:1:1: apiVersion kure.dev/v1 is not served; use kure.dev/v1alpha1`,
      `${f}:5:1: unknown kind "KureThing"; expected one of KureCluster, KureNode, KureBundle, KureApplication`,
      '2 problems found; nothing was written',
    ]);
  });

  it('exits 2 on usage errors', async () => {
    expect((await run(['render'])).code).toBe(2);
    expect((await run(['render', '-f', EXAMPLES, '--bogus'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['render', '-f', join(dir, 'missing.yaml')])).code).toBe(2);
  });
});

describe('kure validate and diff', () => {
  it('validate prints one line per cluster', async () => {
    const { code, out } = await run(['validate', '-f', EXAMPLES]);
    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^platform\/production: valid \(\d+ files\)$/);
  });

  it('diff lists added, changed and removed files and exits 3, then 0 once rendered', async () => {
    const first = await run(['diff', '-f', EXAMPLES, '-o', dir]);
    expect(first.code).toBe(3);
    expect(first.out).toContain('+ clusters/production/kustomization.yaml');
    await run(['render', '-f', EXAMPLES, '-o', dir]);
    const file = join(dir, 'clusters/production/kustomization.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}# edited\n`);
    writeFileSync(join(dir, 'clusters/production/extra.yaml'), 'a: 1\n');
    const second = await run(['diff', '-f', EXAMPLES, '-o', dir]);
    expect(second).toMatchObject({ code: 3, out: ['- clusters/production/extra.yaml', '~ clusters/production/kustomization.yaml'] });
    await run(['render', '-f', EXAMPLES, '-o', dir]);
    expect((await run(['diff', '-f', EXAMPLES, '-o', dir])).code).toBe(0);
  });
});
