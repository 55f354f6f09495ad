// Checks a resource against its schema (the same one the CRDs are generated from) and reports every
// mismatch with a Kubernetes-style field path. Written by hand rather than with a JSON Schema
// validator because the messages must name the field the way kubectl users read it
// (`spec.dependsOn[0].name`) and unknown fields must be errors, which the CRD schema cannot say.
import type { TSchema } from '@sinclair/typebox';
import { DNS1123_LABEL, DURATION } from '../api/schema.js';

type Json = Record<string, unknown>;
export interface ShapeError {
  field: string;
  message: string;
}

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;

export const NAME_MESSAGE = "must be a DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter or digit";

function patternMessage(pattern: string): string {
  if (pattern === DNS1123_LABEL) return NAME_MESSAGE;
  if (pattern === DURATION) return 'must be a duration such as 30s, 10m or 1h30m';
  return `must match ${pattern}`;
}

const patterns = new Map<string, RegExp>();
const regex = (pattern: string): RegExp => {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern)));
  return re;
};

/**
 * The field a path names: `spec.dependsOn[0].name`. The path is kept as a stack of keys and turned
 * into a string only for an error: building every field's name as the walk went made a string per
 * node checked, most of them never read (10,000 applications: ~10% of assembling).
 */
type Path = (string | number)[];
function fieldOf(path: Path, key?: string): string {
  let out = '';
  for (const p of path) out = typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p;
  if (key !== undefined) out = out ? `${out}.${key}` : key;
  return out;
}

export function checkShape(schema: TSchema, value: unknown, field = ''): ShapeError[] {
  const errors: ShapeError[] = [];
  walk(schema as Json, value, field === '' ? [] : [field], errors);
  return errors;
}

/** Pushes the errors of `value` against `s` onto `errors`, in the order checkShape reports them. */
function walk(s: Json, value: unknown, path: Path, errors: ShapeError[]): void {
  const fail = (message: string) => void errors.push({ field: fieldOf(path) || '.', message });

  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as Json[];
    if (members.every((m) => 'const' in m)) {
      const allowed = members.map((m) => m.const);
      if (!allowed.includes(value)) fail(`must be one of: ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
      return;
    }
    if (!members.some((m) => passes(m, value, path))) fail(`must be one of: ${members.map((m) => m.type).join(' or ')}`);
    return;
  }
  if ('const' in s) {
    if (value !== s.const) fail(`must be ${JSON.stringify(s.const)}`);
    return;
  }

  switch (s.type) {
    case 'string':
      if (typeof value !== 'string') return fail(`must be a string, not ${describe(value)}`);
      if (typeof s.minLength === 'number' && value.length < s.minLength)
        return fail(value.length === 0 ? 'must not be empty' : `must be at least ${s.minLength} characters`);
      if (typeof s.maxLength === 'number' && value.length > s.maxLength) fail(`must be at most ${s.maxLength} characters`);
      else if (typeof s.pattern === 'string' && !regex(s.pattern).test(value)) fail(`${patternMessage(s.pattern)} (got ${JSON.stringify(value)})`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`must be true or false, not ${describe(value)}`);
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (s.type === 'integer' && !Number.isInteger(value)))
        return fail(`must be ${s.type === 'integer' ? 'an integer' : 'a number'}, not ${describe(value)}`);
      if (typeof s.minimum === 'number' && value < s.minimum) fail(`must be at least ${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) fail(`must be at most ${s.maximum}`);
      return;
    case 'array': {
      if (!Array.isArray(value)) return fail(`must be a list, not ${describe(value)}`);
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`must have at most ${s.maxItems} items`);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walk(s.items as Json, value[i], path, errors);
        path.pop();
      }
      return;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`must be an object, not ${describe(value)}`);
      if (s['x-kubernetes-preserve-unknown-fields']) return;
      const obj = value as Json;
      if (s.patternProperties) {
        const [inner] = Object.values(s.patternProperties as Record<string, Json>);
        if (inner)
          for (const k of Object.keys(obj)) {
            path.push(k);
            walk(inner, obj[k], path, errors);
            path.pop();
          }
        return;
      }
      const props = (s.properties ?? {}) as Record<string, Json>;
      for (const key of (s.required as string[] | undefined) ?? []) if (obj[key] === undefined) errors.push({ field: fieldOf(path, key), message: 'is required' });
      for (const k of Object.keys(obj)) {
        const inner = props[k];
        const v = obj[k];
        if (!inner) errors.push({ field: fieldOf(path, k), message: 'unknown field' });
        else if (v !== undefined && v !== null) {
          path.push(k);
          walk(inner, v, path, errors);
          path.pop();
        }
      }
      return;
    }
    default:
      return;
  }
}

/** Whether `value` passes `s` without errors (the path is restored whatever happens). */
function passes(s: Json, value: unknown, path: Path): boolean {
  const depth = path.length;
  const e: ShapeError[] = [];
  walk(s, value, path, e);
  path.length = depth;
  return e.length === 0;
}
