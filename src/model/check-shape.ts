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

const join = (base: string, key: string): string => (base ? `${base}.${key}` : key);

export function checkShape(schema: TSchema, value: unknown, field = ''): ShapeError[] {
  const s = schema as Json;
  const errors: ShapeError[] = [];
  const fail = (message: string) => errors.push({ field: field || '.', message });

  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as Json[];
    if (members.every((m) => 'const' in m)) {
      const allowed = members.map((m) => m.const);
      if (!allowed.includes(value)) fail(`must be one of: ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
      return errors;
    }
    if (!members.some((m) => checkShape(m as TSchema, value, field).length === 0))
      fail(`must be one of: ${members.map((m) => m.type).join(' or ')}`);
    return errors;
  }
  if ('const' in s) {
    if (value !== s.const) fail(`must be ${JSON.stringify(s.const)}`);
    return errors;
  }

  switch (s.type) {
    case 'string':
      if (typeof value !== 'string') return fail(`must be a string, not ${describe(value)}`), errors;
      if (typeof s.minLength === 'number' && value.length < s.minLength)
        return fail(value.length === 0 ? 'must not be empty' : `must be at least ${s.minLength} characters`), errors;
      if (typeof s.maxLength === 'number' && value.length > s.maxLength) fail(`must be at most ${s.maxLength} characters`);
      else if (typeof s.pattern === 'string' && !regex(s.pattern).test(value))
        fail(`${patternMessage(s.pattern)} (got ${JSON.stringify(value)})`);
      return errors;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`must be true or false, not ${describe(value)}`);
      return errors;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (s.type === 'integer' && !Number.isInteger(value)))
        return fail(`must be ${s.type === 'integer' ? 'an integer' : 'a number'}, not ${describe(value)}`), errors;
      if (typeof s.minimum === 'number' && value < s.minimum) fail(`must be at least ${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) fail(`must be at most ${s.maximum}`);
      return errors;
    case 'array': {
      if (!Array.isArray(value)) return fail(`must be a list, not ${describe(value)}`), errors;
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`must have at most ${s.maxItems} items`);
      value.forEach((item, i) => errors.push(...checkShape(s.items as TSchema, item, `${field}[${i}]`)));
      return errors;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return fail(`must be an object, not ${describe(value)}`), errors;
      if (s['x-kubernetes-preserve-unknown-fields']) return errors;
      const obj = value as Json;
      if (s.patternProperties) {
        const [inner] = Object.values(s.patternProperties as Record<string, TSchema>);
        for (const [k, v] of Object.entries(obj)) if (inner) errors.push(...checkShape(inner, v, join(field, k)));
        return errors;
      }
      const props = (s.properties ?? {}) as Record<string, TSchema>;
      for (const key of (s.required as string[] | undefined) ?? [])
        if (obj[key] === undefined) errors.push({ field: join(field, key), message: 'is required' });
      for (const [k, v] of Object.entries(obj)) {
        const inner = props[k];
        if (!inner) errors.push({ field: join(field, k), message: 'unknown field' });
        else if (v !== undefined && v !== null) errors.push(...checkShape(inner, v, join(field, k)));
      }
      return errors;
    }
    default:
      return errors;
  }
}
