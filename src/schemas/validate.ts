// Checks a generated object against the schema of its kind, the way the API server's strict field
// validation would: types, required fields, enums, patterns and lengths, and unknown fields (an
// error, not silently pruned). CEL rules (x-kubernetes-validations) are not evaluated here; the
// integration tests apply the output to a real API server for those.
//
// Hand-written rather than ajv: the schemas are Kubernetes structural schemas, not plain JSON
// Schema (int-or-string, preserve-unknown-fields, embedded resources, "object without properties
// means anything" in built-ins but "prune everything" in CRDs, null meaning absent), messages must
// name fields the kubectl way (`spec.template.spec.containers[0].image`), and nothing may be
// compiled up front: a schema node is looked at only when an object reaches it, so a render pays
// only for the kinds and fields it uses (ajv compiles the whole Deployment schema, some 200
// definitions, before the first check).

type Json = Record<string, unknown>;

export interface SchemaError {
  /** Path inside the object, kubectl style: `spec.ports[0].port`. */
  field: string;
  message: string;
}

/** Where a schema comes from decides what a bare `type: object` means. */
export type SchemaMode = 'builtin' | 'crd';

export interface SchemaSource {
  mode: SchemaMode;
  /** A definition by name (`$ref: #/components/schemas/<name>`), parsed on first use. */
  definition(name: string): Json;
}

const REF_PREFIX = '#/components/schemas/';
const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
const join = (base: string, key: string): string => (base ? `${base}.${key}` : key);

const patterns = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern, 'u')));
  return re;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class Validator {
  /** `allOf: [{$ref}]` / `$ref` resolved once per schema node. */
  private readonly resolved = new WeakMap<Json, Json>();

  constructor(private readonly source: SchemaSource) {}

  validate(schema: Json, value: unknown, field = ''): SchemaError[] {
    const errors: SchemaError[] = [];
    this.check(schema, value, field, errors);
    return errors;
  }

  /** A schema node with its reference followed (Kubernetes writes `allOf: [{$ref}]` to attach defaults). */
  private resolve(schema: Json): Json {
    let r = this.resolved.get(schema);
    if (r) return r;
    r = schema;
    for (;;) {
      const ref = typeof r.$ref === 'string' ? r.$ref : undefined;
      const allOf = Array.isArray(r.allOf) && r.allOf.length === 1 ? (r.allOf[0] as Json) : undefined;
      const target = ref ?? (allOf && typeof allOf.$ref === 'string' ? allOf.$ref : undefined);
      if (target === undefined) break;
      r = this.source.definition(target.startsWith(REF_PREFIX) ? target.slice(REF_PREFIX.length) : target);
    }
    this.resolved.set(schema, r);
    return r;
  }

  private check(raw: Json, value: unknown, field: string, errors: SchemaError[]): void {
    // null is "not set" to the API server's decoder.
    if (value === null || value === undefined) return;
    const s = this.resolve(raw);
    const fail = (message: string): void => void errors.push({ field: field || '.', message });

    if (s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string') {
      if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) return;
      return fail(`must be an integer or a string, not ${describe(value)}`);
    }
    if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
      const members = (s.anyOf ?? s.oneOf) as Json[];
      // Structural schemas may only use anyOf/oneOf to add constraints under the same type: check the
      // node's own keywords below, then require one member to accept the value.
      if (!members.some((m) => this.validate(m, value, field).length === 0)) {
        const first = this.validate(members[0] as Json, value, field);
        errors.push(...(first.length > 0 ? first : [{ field: field || '.', message: 'matches none of the allowed forms' }]));
        return;
      }
    }
    if (Array.isArray(s.enum) && !s.enum.includes(value)) {
      return fail(`must be one of: ${s.enum.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(value)})`);
    }

    switch (s.type) {
      case 'string': {
        if (typeof value !== 'string') {
          // resource.Quantity accepts numbers too (`cpu: 1`).
          if (s.format === 'quantity' && typeof value === 'number') return;
          return fail(`must be a string, not ${describe(value)}`);
        }
        if (typeof s.minLength === 'number' && value.length < s.minLength) fail(value.length === 0 ? 'must not be empty' : `must be at least ${s.minLength} characters`);
        if (typeof s.maxLength === 'number' && value.length > s.maxLength) fail(`must be at most ${s.maxLength} characters`);
        if (typeof s.pattern === 'string' && !regex(s.pattern).test(value)) fail(`must match ${s.pattern} (got ${JSON.stringify(value)})`);
        if (s.format === 'byte' && (value.length % 4 !== 0 || !BASE64.test(value))) fail('must be base64-encoded');
        return;
      }
      case 'boolean':
        if (typeof value !== 'boolean') fail(`must be true or false, not ${describe(value)}`);
        return;
      case 'integer':
      case 'number': {
        if (typeof value !== 'number' || (s.type === 'integer' && !Number.isInteger(value)))
          return fail(`must be ${s.type === 'integer' ? 'an integer' : 'a number'}, not ${describe(value)}`);
        if (s.format === 'int32' && (value < -2147483648 || value > 2147483647)) fail('must fit in 32 bits');
        if (typeof s.minimum === 'number' && value < s.minimum) fail(`must be at least ${s.minimum}`);
        if (typeof s.maximum === 'number' && value > s.maximum) fail(`must be at most ${s.maximum}`);
        return;
      }
      case 'array': {
        if (!Array.isArray(value)) return fail(`must be a list, not ${describe(value)}`);
        if (typeof s.minItems === 'number' && value.length < s.minItems) fail(`must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
        if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`must have at most ${s.maxItems} items`);
        const items = s.items as Json | undefined;
        if (items) for (let i = 0; i < value.length; i++) this.check(items, value[i], `${field}[${i}]`, errors);
        return;
      }
      case 'object':
        return this.checkObject(s, value, field, errors, fail);
      default:
        // No type: anything (RawExtension-like), unless it is an object schema in disguise.
        if (s.properties !== undefined && typeof value === 'object') this.checkObject(s, value, field, errors, fail);
        return;
    }
  }

  private checkObject(s: Json, value: unknown, field: string, errors: SchemaError[], fail: (m: string) => void): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`must be an object, not ${describe(value)}`);
    const obj = value as Json;
    const props = s.properties as Record<string, Json> | undefined;
    const required = s.required as string[] | undefined;
    if (required) for (const key of required) if (obj[key] === undefined || obj[key] === null) errors.push({ field: join(field, key), message: 'is required' });
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    const additional = s.additionalProperties as Json | boolean | undefined;
    if (props === undefined && additional === undefined) {
      // Built-in `type: object` without properties is free-form (RawExtension, JSON); in a CRD it
      // means "no fields", and the API server rejects every one under strict validation.
      if (preserve || this.source.mode === 'builtin') return;
    }
    for (const key in obj) {
      const inner = props?.[key];
      if (inner !== undefined) {
        this.check(inner, obj[key], join(field, key), errors);
        continue;
      }
      if (typeof additional === 'object') this.check(additional, obj[key], join(field, key), errors);
      else if (additional !== true && !preserve) errors.push({ field: join(field, key), message: 'unknown field' });
    }
  }
}
