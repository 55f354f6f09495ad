// Reads Kure resources from YAML files, directories (recursively, *.yaml|*.yml) and stdin ('-').
// Each file is parsed by the fast path (fast-yaml.ts) when it can be; when it cannot, or when
// anything in the file needs a message with a position (invalid YAML, a document that is not a
// Kure resource, ...), the file is parsed again with the `yaml` package, which says where.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, isMap, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { API_VERSION, GROUP, type KureResource } from '../api/schema.js';
import { KIND_NAMES } from '../api/kinds.js';
import { MAX_DEPTH, MAX_FILE_BYTES, MAX_OBJECT_BYTES, checkDepth, checkSize, mayExceedDepth, scanNesting, yamlNestingOffset } from '../model/limits.js';
import { fastLoadAll } from './fast-yaml.js';

export interface ReadResult {
  resources: KureResource[];
  /** Input problems that belong to no object: `file:line:col: message`. */
  errors: string[];
  /** Documents that are not Kure resources, skipped. */
  skipped: string[];
}

/** Every YAML file under the given paths, sorted, so the order of input never changes the output. */
export function expandPaths(paths: string[]): string[] {
  const files: string[] = [];
  const walk = (p: string): void => {
    if (p === '-') return void files.push(p);
    const st = statSync(p);
    if (!st.isDirectory()) return void files.push(p);
    for (const entry of readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = join(p, entry.name);
      // A symbolic link is followed, as before: stat tells what it points at.
      const dir = entry.isSymbolicLink() ? statSync(child).isDirectory() : entry.isDirectory();
      if (dir) walk(child);
      else if (/\.ya?ml$/.test(entry.name)) files.push(child);
    }
  };
  for (const p of paths) walk(p);
  return files;
}

/** Where a document (or a List item) starts, as `file:line:col`; computed only when a message needs it. */
type At = () => string;

const isKureList = (apiVersion: string, kind: string): boolean =>
  (apiVersion === 'v1' && kind === 'List') ||
  (apiVersion.startsWith(`${GROUP}/`) && kind.endsWith('List') && (KIND_NAMES as string[]).includes(kind.slice(0, -'List'.length)));

/**
 * One document's value. A `List` (what `kubectl get kure -A -o yaml` prints, or a `KureClusterList`
 * and the like from the API) stands for its items; `itemAt(i)` locates item i.
 */
function addDocument(result: Working, value: unknown, at: At, itemAt: (i: number) => At): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    result.errors.push(`${at()}: expected a Kubernetes object, got ${Array.isArray(value) ? 'a list' : typeof value}`);
    return;
  }
  const obj = value as Record<string, unknown>;
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  if (isKureList(apiVersion, kind)) {
    if (obj.items === null || obj.items === undefined) return;
    if (!Array.isArray(obj.items)) {
      result.errors.push(`${at()}: ${kind} ${apiVersion}: items must be a list`);
      return;
    }
    // The items of a KureClusterList are KureClusters: one without apiVersion and kind gets them.
    const itemType = kind === 'List' ? undefined : { apiVersion, kind: kind.slice(0, -'List'.length) };
    obj.items.forEach((item: unknown, i) => {
      if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
        let o = item as Record<string, unknown>;
        if (typeof o.apiVersion === 'string' && typeof o.kind === 'string' && isKureList(o.apiVersion, o.kind)) {
          result.skipped.push(`${itemAt(i)()}: a ${o.kind} inside a ${kind} is not read`);
          return;
        }
        if (itemType && o.apiVersion === undefined && o.kind === undefined) o = { ...itemType, ...o };
        item = o;
      }
      addObject(result, item, itemAt(i));
    });
    return;
  }
  addObject(result, obj, at);
}

function addObject(result: Working, value: unknown, at: At): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    result.errors.push(`${at()}: expected a Kubernetes object, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`);
    return;
  }
  const obj = value as Record<string, unknown>;
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  if (!apiVersion.startsWith(`${GROUP}/`)) {
    result.skipped.push(`${at()}: ${kind || 'object'} ${apiVersion || '(no apiVersion)'} is not a Kure resource`);
    return;
  }
  if (apiVersion !== API_VERSION) {
    result.errors.push(`${at()}: apiVersion ${apiVersion} is not served; use ${API_VERSION}`);
    return;
  }
  if (!(KIND_NAMES as string[]).includes(kind)) {
    result.errors.push(`${at()}: unknown kind ${JSON.stringify(kind)}; expected one of ${KIND_NAMES.join(', ')}`);
    return;
  }
  const metadata = obj.metadata as Record<string, unknown> | undefined;
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string') {
    result.errors.push(`${at()}: ${kind}: metadata.name is required`);
    return;
  }
  const deep = result.checkDepth === false ? undefined : checkDepth(obj);
  if (deep !== undefined) {
    result.errors.push(`${at()}: ${kind} ${String(metadata.name)}: ${deep} is nested deeper than ${MAX_DEPTH} levels; it is refused`);
    return;
  }
  if (result.checkObjectSize) {
    const tooBig = checkSize(`${kind} ${String(metadata.name)}`, Buffer.byteLength(JSON.stringify(obj)), MAX_OBJECT_BYTES);
    if (tooBig) {
      result.errors.push(`${at()}: ${tooBig}`);
      return;
    }
  }
  // Like kubectl: no namespace means the default namespace.
  result.resources.push({ ...obj, metadata: { ...metadata, namespace: metadata.namespace ?? 'default' } } as KureResource);
}

const empty = (): ReadResult => ({ resources: [], errors: [], skipped: [] });

/** Working state of one file: whether its objects could be larger than MAX_OBJECT_BYTES at all. */
type Working = ReadResult & { checkObjectSize?: boolean; checkDepth?: boolean };

/**
 * The limits of src/model/limits.ts that apply before parsing: the file's size, and nesting too
 * deep to parse safely (found by a linear scan). A message naming the file (and where), or undefined.
 */
function refuseBeforeParsing(file: string, text: string): { refused?: string; mayBeDeep: boolean } {
  const size = checkSize(file, Buffer.byteLength(text), MAX_FILE_BYTES);
  if (size) return { refused: size, mayBeDeep: true };
  const scan = scanNesting(text);
  const offset = yamlNestingOffset(text, MAX_DEPTH, scan);
  if (offset === undefined) return { mayBeDeep: mayExceedDepth(scan) };
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return { refused: `${file}:${line}:${col}: nested deeper than ${MAX_DEPTH} levels; the file is refused`, mayBeDeep: true };
}

/** The `yaml` package: positions for every message. Exported for the tests that compare both paths. */
export function parseResourcesPrecisely(file: string, text: string): ReadResult {
  const result: Working = empty();
  const { refused } = refuseBeforeParsing(file, text);
  if (refused) return { ...result, errors: [refused] };
  // Aliases can make an object far larger, and deeper, than its text: this (slow) path always measures.
  result.checkObjectSize = true;
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): At => () => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) result.errors.push(`${position(e.pos[0])()}: invalid YAML: ${e.message.split('\n')[0]}`);
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // yaml refuses alias bombs (an alias expanding past maxAliasCount nodes) while building the value.
      result.errors.push(`${position(start)()}: invalid YAML: ${(e as Error).message} (more than 100 alias expansions are refused)`);
      continue;
    }
    addDocument(result, value, position(start), (i) => position(itemNode(doc, i)?.range?.[0] ?? start));
  }
  delete result.checkObjectSize;
  return result;
}

function itemNode(doc: Document, i: number): Node | undefined {
  const items = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
  const item: unknown = isSeq(items) ? items.items[i] : undefined;
  return item && typeof item === 'object' && 'range' in item ? (item as Node) : undefined;
}

export function parseResources(file: string, text: string): ReadResult {
  const { refused, mayBeDeep } = refuseBeforeParsing(file, text);
  if (refused) return { ...empty(), errors: [refused] };
  const docs = fastLoadAll(text);
  if (docs !== undefined) {
    let needsPosition = false;
    const at: At = () => {
      needsPosition = true;
      return '';
    };
    const result: Working = empty();
    // Without aliases (this path has none), a document's JSON is at most about twice its YAML: a
    // file this small holds no object over the limit, and pays nothing for the check.
    result.checkObjectSize = text.length > MAX_OBJECT_BYTES / 4;
    // Without aliases, nesting needs indentation or brackets: a text whose scan cannot reach the limit is not measured again.
    result.checkDepth = mayBeDeep;
    for (const doc of docs) addDocument(result, doc, at, () => at);
    delete result.checkObjectSize;
    delete result.checkDepth;
    if (!needsPosition) return result;
  }
  return parseResourcesPrecisely(file, text);
}

export function readResources(paths: string[], stdin: () => string): ReadResult {
  const all = empty();
  for (const file of expandPaths(paths)) {
    // A file over the limit is refused by its size, before it is read into memory.
    const tooBig = file === '-' ? undefined : checkSize(file, statSync(file).size, MAX_FILE_BYTES);
    if (tooBig) {
      all.errors.push(tooBig);
      continue;
    }
    const text = file === '-' ? stdin() : readFileSync(file, 'utf8');
    const r = parseResources(file === '-' ? '<stdin>' : file, text);
    for (const x of r.resources) all.resources.push(x);
    for (const x of r.errors) all.errors.push(x);
    for (const x of r.skipped) all.skipped.push(x);
  }
  return all;
}
