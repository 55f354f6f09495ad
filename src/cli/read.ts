// Reads Kure resources from YAML files, directories (recursively, *.yaml|*.yml) and stdin ('-').
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { API_VERSION, GROUP, type KureResource } from '../api/schema.js';
import { KIND_NAMES } from '../api/kinds.js';

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
    for (const entry of readdirSync(p).sort()) {
      const child = join(p, entry);
      if (statSync(child).isDirectory()) walk(child);
      else if (/\.ya?ml$/.test(entry)) files.push(child);
    }
  };
  for (const p of paths) walk(p);
  return files;
}

export function parseResources(file: string, text: string): ReadResult {
  const result: ReadResult = { resources: [], errors: [], skipped: [] };
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) result.errors.push(`${at(e.pos[0])}: invalid YAML: ${e.message.split('\n')[0]}`);
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      result.errors.push(`${at(start)}: expected a Kubernetes object, got ${Array.isArray(value) ? 'a list' : typeof value}`);
      continue;
    }
    const obj = value as Record<string, unknown>;
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const kind = typeof obj.kind === 'string' ? obj.kind : '';
    if (!apiVersion.startsWith(`${GROUP}/`)) {
      result.skipped.push(`${at(start)}: ${kind || 'object'} ${apiVersion || '(no apiVersion)'} is not a Kure resource`);
      continue;
    }
    if (apiVersion !== API_VERSION) {
      result.errors.push(`${at(start)}: apiVersion ${apiVersion} is not served; use ${API_VERSION}`);
      continue;
    }
    if (!(KIND_NAMES as string[]).includes(kind)) {
      result.errors.push(`${at(start)}: unknown kind ${JSON.stringify(kind)}; expected one of ${KIND_NAMES.join(', ')}`);
      continue;
    }
    const metadata = obj.metadata as Record<string, unknown> | undefined;
    if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string') {
      result.errors.push(`${at(start)}: ${kind}: metadata.name is required`);
      continue;
    }
    // Like kubectl: no namespace means the default namespace.
    result.resources.push({ ...obj, metadata: { ...metadata, namespace: metadata.namespace ?? 'default' } } as KureResource);
  }
  return result;
}

export function readResources(paths: string[], stdin: () => string): ReadResult {
  const all: ReadResult = { resources: [], errors: [], skipped: [] };
  for (const file of expandPaths(paths)) {
    const text = file === '-' ? stdin() : readFileSync(file, 'utf8');
    const r = parseResources(file === '-' ? '<stdin>' : file, text);
    all.resources.push(...r.resources);
    all.errors.push(...r.errors);
    all.skipped.push(...r.skipped);
  }
  return all;
}
