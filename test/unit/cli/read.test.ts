// The reader: the fast path (js-yaml) gives exactly what the `yaml` package gives, or steps aside;
// every message keeps its file:line:col; Lists (what `kubectl get kure -A -o yaml` prints) are read.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { fastLoadAll } from '../../../src/cli/fast-yaml.js';
import { parseResources, parseResourcesPrecisely } from '../../../src/cli/read.js';

const EXAMPLES = join(process.cwd(), 'examples', 'platform');
const exampleTexts = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));

/** What the `yaml` package makes of a text: its error messages, or its documents' values (null documents left out). */
function viaYamlPackage(text: string): { errors: string[]; values: unknown[] } {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const all = Array.isArray(docs) ? docs : [docs];
  const errors = all.flatMap((d) => d.errors.map((e) => e.message.split('\n')[0]!));
  return { errors, values: errors.length > 0 ? [] : all.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown).filter((v) => v != null) };
}

/** The fast path either steps aside or agrees with the `yaml` package exactly (same errors: none; same values, -0 and NaN included). */
function expectAgreement(text: string): boolean {
  const fast = fastLoadAll(text);
  if (fast === undefined) return false;
  const slow = viaYamlPackage(text);
  expect({ text, errors: slow.errors }).toEqual({ text, errors: [] });
  if (!isDeepStrictEqual(fast.filter((v) => v != null), slow.values)) {
    expect({ text, values: fast.filter((v) => v != null) }).toEqual({ text, values: slow.values });
  }
  return true;
}

const SCALARS = [
  '1', '-0', '+12', '0o17', '0x1F', '0X1F', '0b11', '1_000', '010', '08', '0o8', '0xg', '123456789012345678901234567890', '9'.repeat(400),
  '1e3', '1E+2', '1.0e+3', '-.5e-3', '.5', '5.', '1.50', '0.0', '-0.0', '1e999', '.inf', '-.Inf', '+.inf', '.INF', '.nan', '.NaN', '.NAN',
  '+.nan', '.nAn', 'inf', 'nan', '.', '-', '+', '.e1', '1.e1', 'true', 'True', 'TRUE', 'tRue', 'false', 'FALSE', 'yes', 'on', 'off', 'y',
  'null', 'Null', 'NULL', 'nULL', '~', '', '2024-01-01', '12:30', '1:20', '"1"', "'true'", '"~"', '"\\t\\u00e9\\x41\\U0001F600"', "'it''s'",
  'http://x:80/p', 'a b', 'x%y', 'x!y', 'x&y', 'x*y', '50%', '"?x"', 'x?', '=', '<<', '@x', '`x', 'a,b', '[1, 2.50, .1e1, ~, null, x]',
  '{a: 1, b: [c], d: {}}', '|\n  x\n  y\n', '>\n  x\n  y\n\n  z\n', '|-\n  x\n', '|+\n  x\n\n', '>2\n   x\n', 'plain\n  multi\n\n  line',
];

describe('the fast path', () => {
  it('is taken for the examples and for block YAML as people write it', () => {
    for (const text of exampleTexts) expect(fastLoadAll(text)).toBeDefined();
    expect(fastLoadAll('apiVersion: v1\nitems:\n- a: 1\nkind: List\n')).toEqual([{ apiVersion: 'v1', items: [{ a: 1 }], kind: 'List' }]);
  });

  it('gives the same scalars as the `yaml` package (YAML 1.2 core schema), or steps aside', () => {
    let taken = 0;
    for (const s of SCALARS) {
      if (expectAgreement(`a: ${s}\n`)) taken++;
      if (!s.includes('\n') && expectAgreement(`- ${s}\n`)) taken++;
    }
    expect(taken).toBeGreaterThan(150);
  });

  it.each([
    ['an anchor and alias', 'a: &x {b: 1}\nc: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a local tag', 'a: !thing x\n'],
    ['a directive', '%YAML 1.1\n---\na: yes\n'],
    ['an explicit key', '? a\n: b\n'],
    ['a flow collection as a key', '[a, b]: c\n'],
    ['a null key', '~: a\n'],
    ['a null word key', 'null: a\n'],
    ['an empty key in a flow map', 'a: {: b}\n'],
    ['a key over 1024 characters', `${'k'.repeat(1100)}: 1\n`],
    ['a comment glued to a flow collection', 'a: [1, 2]#c\n'],
    ['a comment glued to a quoted scalar', 'a: "b"#c\n'],
    ['a lone carriage return', 'a: 1\rb: 2\n'],
    ['a flow sequence over lines at the block indentation', 'a: [1,\n2]\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['invalid YAML', 'a: {b: 1\n'],
  ])('steps aside for %s', (_what, text) => {
    expect(fastLoadAll(text)).toBeUndefined();
  });

  it('agrees with the `yaml` package on thousands of mutations of real input, or steps aside', () => {
    const seeds = [
      ...exampleTexts,
      '{"apiVersion": "v1", "items": [\n  {"a": [1, 2],\n   "b": {"c": "d"}}\n], "kind": "List"}\n',
      'a:\n  b: [1, 2]\n  c: {d: e, f: [g]}\n  h: |\n    x\n    y\n  i: >-\n    z\n  j: "q\\n"\n  k: \'s\'\n- x\n',
    ];
    const pieces = [' ', ':', '-', '[', ']', '{', '}', ',', '#', "'", '"', '\n', '\t', '|', '>', 'a', '1', '.', '~', '\\', '  ', ': ', '- ', '\n  ', '\r'];
    let state = 12345;
    const rnd = (n: number): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % n;
    };
    let taken = 0;
    for (let k = 0; k < 3000; k++) {
      let t = seeds[rnd(seeds.length)]!;
      for (let m = 1 + rnd(3); m > 0; m--) {
        const i = rnd(t.length + 1);
        const piece = pieces[rnd(pieces.length)]!;
        const op = rnd(3);
        t = op === 0 ? t.slice(0, i) + piece + t.slice(i) : op === 1 ? t.slice(0, i) + t.slice(i + 1 + rnd(3)) : t.slice(0, i) + piece + t.slice(i + 1);
      }
      if (expectAgreement(t)) taken++;
    }
    expect(taken).toBeGreaterThan(1000); // the mutations are not all rejected: the comparison means something
  });
});

describe('parseResources', () => {
  it('reads the same resources on both paths', () => {
    for (const text of exampleTexts) expect(parseResources('f.yaml', text)).toEqual(parseResourcesPrecisely('f.yaml', text));
  });

  it('still reads what only the `yaml` package reads (anchors, tags)', () => {
    const text = 'apiVersion: kure.dev/v1alpha1\nkind: KureNode\nmetadata: {name: &n infra, namespace: platform}\nspec: {clusterRef: {name: !!str prod}, x: *n}\n';
    expect(parseResources('f.yaml', text).resources).toEqual([
      { apiVersion: 'kure.dev/v1alpha1', kind: 'KureNode', metadata: { name: 'infra', namespace: 'platform' }, spec: { clusterRef: { name: 'prod' }, x: 'infra' } },
    ]);
  });

  it('refuses an alias bomb quickly, naming the file and document, and still reads the other documents', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, cur] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi'] as const) levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const bomb = `apiVersion: kure.dev/v1alpha1\nkind: KureNode\nmetadata: {name: a, namespace: p}\nspec:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
    const good = 'apiVersion: kure.dev/v1alpha1\nkind: KureNode\nmetadata: {name: b, namespace: p}\nspec: {}\n';
    const started = performance.now();
    const r = parseResources('bomb.yaml', `${good}---\n${bomb}`);
    expect(performance.now() - started).toBeLessThan(2000); // 9^9 strings if expanded: this would not return
    expect(r.errors).toEqual([expect.stringMatching(/^bomb\.yaml:6:1: invalid YAML: .*alias.*\(more than 100 alias expansions are refused\)$/)]);
    expect(r.resources.map((x) => x.metadata.name)).toEqual(['b']);
  });

  it('gives file:line:col for documents that are not Kure resources, though the fast path read them', () => {
    const text = 'apiVersion: kure.dev/v1alpha1\nkind: KureNode\nmetadata: {name: a}\nspec: {}\n---\n# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: z}\n---\n- 1\n';
    expect(parseResources('f.yaml', text)).toMatchObject({
      errors: ['f.yaml:11:1: expected a Kubernetes object, got a list'],
      skipped: ['f.yaml:7:1: ConfigMap v1 is not a Kure resource'],
    });
  });

  const item = (kind: string, name: string, extra = '') =>
    `- apiVersion: kure.dev/v1alpha1\n  kind: ${kind}\n  metadata:\n    name: ${name}\n    namespace: platform\n    uid: 0b9e5f6e-5d52-4c3f-9d0e-${name.padEnd(12, '0').slice(0, 12)}\n    resourceVersion: "1234"\n    generation: 2\n    creationTimestamp: "2026-01-02T03:04:05Z"\n  spec: {}\n${extra}`;

  it('reads a v1 List (kubectl get kure -A -o yaml) as its items, status and server fields included', () => {
    const text = `apiVersion: v1\nitems:\n${item('KureNode', 'infra', '  status:\n    observedGeneration: 2\n    conditions: []\n')}${item('KureBundle', 'web')}kind: List\nmetadata:\n  resourceVersion: ""\n`;
    const r = parseResources('-', text);
    expect(r.errors).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(r.resources.map((x) => `${x.kind} ${x.metadata.namespace}/${x.metadata.name}`)).toEqual(['KureNode platform/infra', 'KureBundle platform/web']);
    expect(r).toEqual(parseResourcesPrecisely('-', text));
  });

  it('reads KureClusterList and the like (the API server lists), and an empty List', () => {
    const text = `apiVersion: kure.dev/v1alpha1\nkind: KureBundleList\nmetadata: {resourceVersion: "9"}\nitems:\n${item('KureBundle', 'a')}${item('KureBundle', 'b')}---\napiVersion: v1\nkind: List\nitems: []\n`;
    expect(parseResources('x.yaml', text).resources.map((x) => x.metadata.name)).toEqual(['a', 'b']);
  });

  it('locates problems inside a List by item', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n${item('KureNode', 'ok')}- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n- apiVersion: kure.dev/v1\n  kind: KureNode\n  metadata: {name: old}\n- 42\n- {apiVersion: v1, kind: List, items: []}\n`;
    expect(parseResources('l.yaml', text)).toMatchObject({
      resources: [expect.objectContaining({ kind: 'KureNode' })],
      errors: ['l.yaml:17:3: apiVersion kure.dev/v1 is not served; use kure.dev/v1alpha1', 'l.yaml:20:3: expected a Kubernetes object, got number'],
      skipped: ['l.yaml:14:3: ConfigMap v1 is not a Kure resource', 'l.yaml:21:3: a List inside a List is not read'],
    });
    expect(parseResources('l.yaml', 'apiVersion: v1\nkind: List\nitems: {a: 1}\n').errors).toEqual(['l.yaml:1:1: List v1: items must be a list']);
  });
});
