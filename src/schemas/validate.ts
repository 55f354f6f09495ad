// Checks a generated object against the schema of its kind, the way the API server's strict field
// validation would: types, required fields, enums, patterns and lengths, and unknown fields (an
// error, not silently pruned). CEL rules (x-kubernetes-validations) are not evaluated here; the
// integration tests apply the output to a real API server for those.
//
// Hand-written rather than ajv: the schemas are Kubernetes structural schemas, not plain JSON
// Schema (int-or-string, preserve-unknown-fields, "object without properties" meaning anything in
// built-ins but "no fields" in CRDs, null meaning absent), messages must name fields the kubectl
// way (`spec.template.spec.containers[0].image`), and nothing may be compiled up front: ajv
// compiles a whole schema before its first check (some 200 definitions for a Deployment; the
// Flux and Argo CD CRDs take seconds), where a render needs a few fields of a few kinds.
// Here each schema node becomes a small checking function the first time an object reaches it.

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

/** Keys from the root to the value being checked; turned into a string only for an error. */
type Path = (string | number)[];
type Check = (value: unknown, path: Path, errors: SchemaError[]) => void;

const REF_PREFIX = '#/components/schemas/';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;

function fieldOf(path: Path, key?: string): string {
  let out = '';
  for (const p of path) out = typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p;
  if (key !== undefined) out = out ? `${out}.${key}` : key;
  return out || '.';
}

const NO_ERRORS: readonly SchemaError[] = Object.freeze([]);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Validator {
  private readonly checks = new WeakMap<Json, Check>();

  constructor(private readonly source: SchemaSource) {}

  /** Errors of `value` against `schema`; the same empty array (frozen) when there are none. */
  validate(schema: Json, value: unknown): readonly SchemaError[] {
    const errors: SchemaError[] = [];
    this.check(schema)(value, [], errors);
    return errors.length === 0 ? NO_ERRORS : errors;
  }

  /** The checking function of a schema node, built on its first call (schemas may be recursive). */
  private check(schema: Json): Check {
    let c = this.checks.get(schema);
    if (c) return c;
    let built: Check | undefined;
    c = (value, path, errors) => (built ??= this.build(this.resolve(schema)))(value, path, errors);
    this.checks.set(schema, c);
    return c;
  }

  /** A schema node with its reference followed (Kubernetes writes `allOf: [{$ref}]` to attach defaults). */
  private resolve(schema: Json): Json {
    let r = schema;
    for (;;) {
      const allOf = Array.isArray(r.allOf) && r.allOf.length === 1 ? (r.allOf[0] as Json) : undefined;
      const target = typeof r.$ref === 'string' ? r.$ref : allOf && typeof allOf.$ref === 'string' ? allOf.$ref : undefined;
      if (target === undefined) return r;
      r = this.source.definition(target.startsWith(REF_PREFIX) ? target.slice(REF_PREFIX.length) : target);
    }
  }

  private build(s: Json): Check {
    const base = this.buildType(s);
    // int-or-string spells out its two forms in anyOf/oneOf; buildType checks them with one message.
    if (s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string') return base;
    const members = (s.anyOf ?? s.oneOf) as Json[] | undefined;
    const enumValues = Array.isArray(s.enum) ? (s.enum as unknown[]) : undefined;
    if (!members && !enumValues) return base;
    // Structural schemas use anyOf/oneOf only to constrain further: one member must accept the value.
    const alternatives = members?.map((m) => this.check(m));
    return (value, path, errors) => {
      if (value === null || value === undefined) return;
      if (enumValues && !enumValues.includes(value)) {
        errors.push({ field: fieldOf(path), message: `must be one of: ${enumValues.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(value)})` });
        return;
      }
      if (alternatives) {
        let first: SchemaError[] | undefined;
        for (const alt of alternatives) {
          const e: SchemaError[] = [];
          alt(value, path, e);
          if (e.length === 0) {
            first = undefined;
            break;
          }
          first ??= e;
        }
        if (first) return void errors.push(...first);
      }
      base(value, path, errors);
    };
  }

  private buildType(s: Json): Check {
    const fail = (path: Path, errors: SchemaError[], message: string) => void errors.push({ field: fieldOf(path), message });
    if (s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string')
      return (v, path, errors) => {
        if (v === null || v === undefined || typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return;
        fail(path, errors, `must be an integer or a string, not ${describe(v)}`);
      };
    switch (s.type) {
      case 'string': {
        const minLength = typeof s.minLength === 'number' ? s.minLength : undefined;
        const maxLength = typeof s.maxLength === 'number' ? s.maxLength : undefined;
        const pattern = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : undefined;
        const byte = s.format === 'byte';
        return (v, path, errors) => {
          if (v === null || v === undefined) return;
          if (typeof v !== 'string') return fail(path, errors, `must be a string, not ${describe(v)}`);
          if (minLength !== undefined && v.length < minLength) fail(path, errors, v.length === 0 ? 'must not be empty' : `must be at least ${minLength} characters`);
          if (maxLength !== undefined && v.length > maxLength) fail(path, errors, `must be at most ${maxLength} characters`);
          if (pattern && !pattern.test(v)) fail(path, errors, `must match ${pattern.source} (got ${JSON.stringify(v)})`);
          if (byte && (v.length % 4 !== 0 || !BASE64.test(v))) fail(path, errors, 'must be base64-encoded');
        };
      }
      case 'boolean':
        return (v, path, errors) => {
          if (v !== null && v !== undefined && typeof v !== 'boolean') fail(path, errors, `must be true or false, not ${describe(v)}`);
        };
      case 'integer':
      case 'number': {
        const integer = s.type === 'integer';
        const int32 = s.format === 'int32';
        const minimum = typeof s.minimum === 'number' ? s.minimum : undefined;
        const maximum = typeof s.maximum === 'number' ? s.maximum : undefined;
        return (v, path, errors) => {
          if (v === null || v === undefined) return;
          if (typeof v !== 'number' || (integer && !Number.isInteger(v))) return fail(path, errors, `must be ${integer ? 'an integer' : 'a number'}, not ${describe(v)}`);
          if (int32 && (v < -2147483648 || v > 2147483647)) fail(path, errors, 'must fit in 32 bits');
          if (minimum !== undefined && v < minimum) fail(path, errors, `must be at least ${minimum}`);
          if (maximum !== undefined && v > maximum) fail(path, errors, `must be at most ${maximum}`);
        };
      }
      case 'array': {
        const minItems = typeof s.minItems === 'number' ? s.minItems : undefined;
        const maxItems = typeof s.maxItems === 'number' ? s.maxItems : undefined;
        const items = isObject(s.items) ? this.check(s.items) : undefined;
        return (v, path, errors) => {
          if (v === null || v === undefined) return;
          if (!Array.isArray(v)) return fail(path, errors, `must be a list, not ${describe(v)}`);
          if (minItems !== undefined && v.length < minItems) fail(path, errors, `must have at least ${minItems} item${minItems === 1 ? '' : 's'}`);
          if (maxItems !== undefined && v.length > maxItems) fail(path, errors, `must have at most ${maxItems} items`);
          if (!items) return;
          for (let i = 0; i < v.length; i++) {
            path.push(i);
            items(v[i], path, errors);
            path.pop();
          }
        };
      }
      case 'object':
        return this.buildObject(s, true);
      default:
        // No type: anything (RawExtension-like), unless it lists properties.
        return s.properties !== undefined ? this.buildObject(s, false) : () => {};
    }
  }

  private buildObject(s: Json, typed: boolean): Check {
    const props = isObject(s.properties) ? s.properties : undefined;
    const required = Array.isArray(s.required) ? (s.required as string[]) : [];
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    const additional = s.additionalProperties as Json | boolean | undefined;
    const additionalCheck = isObject(additional) ? this.check(additional) : undefined;
    // Built-in `type: object` without properties is free-form (RawExtension, JSON); in a CRD it
    // means "no fields", and the API server rejects every one under strict validation.
    const freeForm = props === undefined && additional === undefined && (preserve || this.source.mode === 'builtin');
    const unknownIsError = !preserve && additional !== true && !additionalCheck;
    const propChecks = new Map<string, Check | null>();
    const propCheck = (key: string): Check | null => {
      let c = propChecks.get(key);
      if (c === undefined) {
        const ps = props !== undefined && Object.hasOwn(props, key) ? props[key] : undefined;
        propChecks.set(key, (c = isObject(ps) ? this.check(ps) : null));
      }
      return c;
    };
    return (v, path, errors) => {
      if (v === null || v === undefined) return;
      if (!isObject(v)) return typed ? void errors.push({ field: fieldOf(path), message: `must be an object, not ${describe(v)}` }) : undefined;
      for (const key of required) if (v[key] === undefined || v[key] === null) errors.push({ field: fieldOf(path, key), message: 'is required' });
      if (freeForm) return;
      for (const key in v) {
        const c = propCheck(key);
        if (c !== null) {
          path.push(key);
          c(v[key], path, errors);
          path.pop();
        } else if (additionalCheck) {
          path.push(key);
          additionalCheck(v[key], path, errors);
          path.pop();
        } else if (unknownIsError) errors.push({ field: fieldOf(path, key), message: 'unknown field' });
      }
    };
  }
}
