// YAML output. The layout of plain data (maps, sequences) is emitted here, exactly as the `yaml`
// library lays it out; every scalar and key is formatted by the `yaml` library itself (memoised).
// Why: `yaml.stringify` costs ~0.5 ms per Deployment, which makes a 10,000-application cluster take
// 15 s; this emitter gives byte-identical output (asserted by the unit tests) about 20× faster.
import { stringify } from 'yaml';
import { activeMemo } from './memo.js';

/**
 * YAML 1.1 quoting on purpose: Kubernetes tooling (sigs.k8s.io/yaml, kustomize) reads YAML 1.1,
 * where plain `yes`, `on`, `0755` or `1:20` are not strings. No anchors/aliases; no line folding.
 */
export const YAML_OPTIONS = { version: '1.1', aliasDuplicateObjects: false, lineWidth: 0 } as const;

const MAX_MEMO = 100_000; // entries per cache; a full cache is dropped, not evicted piecemeal
const scalars = new Map<unknown, string>();
const keys = new Map<string, string>();

function memo<K>(cache: Map<K, string>, key: K, make: () => string): string {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= MAX_MEMO) cache.clear();
    v = make();
    cache.set(key, v);
  }
  return v;
}

/** `k: <value>` as the yaml library writes it, for a value at the top of a map. */
function viaLibrary(value: unknown): string {
  return stringify({ k: value }, YAML_OPTIONS).slice('k: '.length, -1);
}

/**
 * Strings the `yaml` library writes plain in YAML 1.1 mode, recognised without asking it: a letter
 * first (so no number, sexagesimal or `.inf`), no space or indicator, and not a YAML 1.1 boolean or
 * null word. Names, images and paths are nearly all like this; the rest go through the library.
 */
const PLAIN = /^[A-Za-z][A-Za-z0-9_./@-]*(:[A-Za-z0-9_./@-]+)*$/;
/** The same after `./` (Flux paths, one per bundle): plain too, and never a number or a YAML 1.1 word. */
const PLAIN_PATH = /^\.\/[A-Za-z0-9_./@-]*(:[A-Za-z0-9_./@-]+)*$/;
const YAML11_WORDS = /^(y|yes|n|no|true|false|on|off|null)$/i;
/**
 * Strings of decimal digits only (ConfigMap values, ports and ids written as strings): the `yaml`
 * library always double-quotes them (checked for every such string up to 20,000 and with leading
 * zeros, in the unit tests). They are often unique, so the memo does not help, and asking the
 * library cost ~80 us each: a third of the YAML time of the 10,000-application fleet.
 */
const DIGITS = /^[0-9]+$/;

/** A scalar's text; continuation lines (block scalars) are indented by `indent`. */
function scalar(value: unknown, indent: number): string {
  if (typeof value === 'string') {
    if (PLAIN.test(value) && !YAML11_WORDS.test(value)) return value;
    if (DIGITS.test(value)) return `"${value}"`;
    if (PLAIN_PATH.test(value)) return value;
  }
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)))
    return String(value);
  const text = Object.is(value, -0) ? viaLibrary(value) : memo(scalars, value, () => viaLibrary(value));
  if (!text.includes('\n')) return text;
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : pad + line))
    .join('\n');
}

function key(k: string): string {
  return memo(keys, k, () => {
    const text = stringify({ [k]: null }, YAML_OPTIONS);
    return text.endsWith(': null\n') && !text.slice(0, -1).includes('\n') ? text.slice(0, -': null\n'.length) : JSON.stringify(k);
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const isCollection = (v: unknown): boolean => Array.isArray(v) || isPlainObject(v);
/** Whether a collection has no entries to write (an object's undefined values are not written). */
function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  // Without Object.values' array: this runs for every nested collection.
  const o = v as Record<string, unknown>;
  for (const k in o) if (Object.hasOwn(o, k) && o[k] !== undefined) return false;
  return true;
}

/** Indentation strings, made once per width. */
const PADS: string[] = [];
const padOf = (n: number): string => (PADS[n] ??= ' '.repeat(n));

/** Lines of a non-empty collection whose entries start at column `indent`. */
function collection(value: unknown, indent: number, out: string[]): void {
  const pad = padOf(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      const v = item === undefined ? null : item;
      if (isCollection(v) && !isEmpty(v)) {
        const start = out.length;
        collection(v, indent + 2, out);
        // the first line of the nested collection goes on the dash line
        out[start] = `${pad}- ${(out[start] as string).slice(indent + 2)}`;
      } else {
        out.push(`${pad}- ${inline(v, indent)}`);
      }
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === undefined) continue;
    if (isCollection(v) && !isEmpty(v)) {
      out.push(`${pad}${key(k)}:`);
      collection(v, indent + 2, out);
    } else {
      out.push(`${pad}${key(k)}: ${inline(v, indent)}`);
    }
  }
}

/** A value written on the current line: a scalar, `{}` or `[]`. */
function inline(v: unknown, indent: number): string {
  if (Array.isArray(v)) return '[]';
  if (isPlainObject(v)) return '{}';
  return scalar(v, indent);
}

/** One YAML document (with a trailing newline). */
export function yamlDocument(value: unknown): string {
  if (!isCollection(value) || isEmpty(value)) return stringify(value, YAML_OPTIONS);
  const out: string[] = [];
  collection(value, 0, out);
  return `${out.join('\n')}\n`;
}

const format = (docs: readonly unknown[]): string => docs.map(yamlDocument).join('---\n');

/**
 * YAML text for a list of objects: `---`-separated documents with a trailing newline. Inside a
 * Renderer with memos (the controller) memoised on the JSON of the documents (cheap next to YAML
 * formatting), so re-rendering a large cluster after a small change formats only what changed.
 * Without (`kure render` renders once) the memo would only cost a JSON.stringify of every document
 * and hold a second copy of the output (10,000 applications: ~8% of the CPU).
 */
export function toYaml(docs: readonly unknown[]): string {
  const documents = activeMemo();
  return documents ? documents.document(JSON.stringify(docs), () => format(docs)) : format(docs);
}
