// Test helpers: write a FileTree to disk, run `kubectl kustomize`, and validate objects against
// the upstream CRD schemas (strict: unknown fields rejected, as with fieldValidation=Strict).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments, parse } from 'yaml';
import type { FileTree } from '../../../src/model/types.js';

export type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

export function writeTree(tree: FileTree, dir: string): void {
  for (const [file, content] of tree) {
    const full = path.join(dir, ...file.split('/'));
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

export function tempTree(tree: FileTree): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kure-render-'));
  writeTree(tree, dir);
  return dir;
}

export function parseDocs(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
    return d.toJS() as Obj;
  });
}

export function kustomizeBuild(dir: string): Obj[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseDocs(r.stdout);
}

/** Objects of every YAML file of the tree (kustomization.yaml files excluded). */
export function treeObjects(tree: FileTree): Obj[] {
  return [...tree.entries()].filter(([k]) => !k.endsWith('kustomization.yaml')).flatMap(([, v]) => parseDocs(v));
}

export const id = (o: Obj): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

// ------------------------------------------------------------------------------------- CRDs
export const CRD_DIR = path.resolve(process.cwd(), '../shared/reference/crds');

type Schema = Record<string, unknown>;

/** Emulates fieldValidation=Strict: closes every object schema that lists properties. */
function strict(schema: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v !== null && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, strict(s)]));
    } else if ((k === 'items' || k === 'additionalProperties') && v !== null && typeof v === 'object') {
      out[k] = strict(v as Schema);
    } else {
      out[k] = v;
    }
  }
  if (out.properties !== undefined && out['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

let validators: Map<string, ValidateFunction> | undefined;

/** apiVersion/kind → validator for the served version of every reference CRD. */
export function crdValidators(): Map<string, ValidateFunction> {
  if (validators !== undefined) return validators;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  validators = new Map();
  for (const sub of ['flux', 'argo-cd']) {
    for (const file of readdirSync(path.join(CRD_DIR, sub)).filter((f) => f.endsWith('.yaml'))) {
      const crd = parse(readFileSync(path.join(CRD_DIR, sub, file), 'utf8')) as {
        spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[] };
      };
      for (const v of crd.spec.versions.filter((x) => x.served)) {
        validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(strict(v.schema.openAPIV3Schema)));
      }
    }
  }
  return validators;
}

/** Validation errors of `o` against its CRD, or undefined when its kind has no reference CRD. */
export function crdErrors(o: Obj): string[] | undefined {
  const v = crdValidators().get(`${o.apiVersion}/${o.kind}`);
  if (v === undefined) return undefined;
  return v(o) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

export const FLUX_KINDS = ['Kustomization', 'GitRepository', 'OCIRepository', 'Bucket'];
