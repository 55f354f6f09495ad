// The fast emitter must write exactly what `yaml.stringify` (YAML_OPTIONS) writes.
import { parse, stringify } from 'yaml';
import { render, toYaml, yamlDocument, YAML_OPTIONS } from '../../../src/render/index.js';
import { richCluster } from './fixtures.js';
import { parseDocs } from './helpers.js';

const same = (v: unknown) => expect(yamlDocument(v)).toBe(stringify(v, YAML_OPTIONS));

const TRICKY: unknown[] = [
  'plain', '', ' ', 'yes', 'on', 'No', 'y', '~', 'null', 'true', '0755', '1:20', '1e3', '0x1f', '.inf', '2001-12-14',
  '- a', '? a', ': a', 'a: b', 'a #b', '#a', '@a', '`a', '!a', '&a', '*a', '|a', '>a', '%a', "'a'", '"a"', '{a}', '[a]', 'a,b',
  'a\nb', 'a\nb\n', 'a\n\nb\n\n', ' lead\ntrail ', '  indented\nnext', '\ttab', 'x'.repeat(300), 'ünïcödé', 'emoji 🚀', 'a\u0000b',
  'ghcr.io/acme/app:1.0', 'a:b:c', 'http://x.example/p', 'Yes', 'ON', 'N', 'y1', 'null1', 'a..b', 'a@sha256:ab', 'a:', 'a-', 'A_b',
  0, -0, 1, -1, 2 ** 53, -(2 ** 53) + 1, 0.1, 1e21, 2 ** 70, Number.NaN, Infinity, true, false, null, new Date(0),
];

describe('yamlDocument is byte-identical to yaml.stringify', () => {
  test.each(TRICKY.map((v, i) => [i, v]))('scalar #%i in every position', (_i, v) => {
    same({ k: v });
    same({ k: [v] });
    same({ k: [{ a: v, b: [v, [v]] }] });
    same([v, { x: { y: v } }]);
    same({ [String(v)]: v });
  });

  test('empty collections, undefined, nesting', () => {
    same({});
    same([]);
    same({ a: {}, b: [], c: undefined, d: [undefined, null, {}, []], e: [[[]]], f: [[{ x: 1 }]], g: { h: { i: [1, [2, [3]]] } } });
    same([[1, 2], [], [{ a: 1, b: { c: [] } }]]);
    same('top-level scalar');
    same(42);
    same(null);
  });

  test('deterministic pseudo-random documents', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const gen = (depth: number): unknown => {
      const r = rnd();
      if (depth > 4 || r < 0.4) return pick(TRICKY);
      if (r < 0.7) return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [pick(['a', 'on', 'k', `k${i}`, 'x y', '']) + i, gen(depth + 1)]));
      return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
    };
    for (let i = 0; i < 500; i++) same({ root: gen(0) });
  });

  test('every rendered file of both engines', () => {
    for (const engine of ['flux', 'argocd'] as const) {
      for (const [, text] of render(richCluster(engine, { bootstrap: true }))) {
        const docs = parseDocs(text);
        expect(docs.map((d) => stringify(d, YAML_OPTIONS)).join('---\n')).toBe(text);
      }
    }
  });

  test('strings of digits (quoted without asking the library) as the library quotes them', () => {
    const digits = Array.from({ length: 20_000 }, (_, i) => String(i));
    for (let i = 0; i < 1000; i++) digits.push(`0${i}`, `00${i}`);
    digits.push('9'.repeat(400), '0'.repeat(100), '12345678901234567890', '08', '09', '0755');
    for (const d of digits) expect(yamlDocument({ k: d })).toBe(stringify({ k: d }, YAML_OPTIONS));
    same({ k: digits.slice(0, 500), [digits[7] as string]: { '0755': '0755' } });
  });

  test('paths starting with ./ (written plain without asking the library) as the library writes them', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = 'aZ09_./@-: #"\'';
    const paths = ['./', './a', './a:b', './a:', './a: b', './nodes/node-0/bundle-0', './-', './.', './/', './1', './1.5', './a#b', './a #b'];
    for (let i = 0; i < 5000; i++)
      paths.push(`./${Array.from({ length: Math.floor(rnd() * 8) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('')}`);
    for (const p of paths) expect(yamlDocument({ k: p, l: [p] })).toBe(stringify({ k: p, l: [p] }, YAML_OPTIONS));
  });

  test('round trip', () => {
    const v = { a: 'a\nb\n', b: ['on', 1, '1'], c: { d: null } };
    expect(parse(toYaml([v]), { version: '1.1' })).toEqual(v);
  });
});
