// Turns the TypeBox schemas of schema.ts into CustomResourceDefinitions: one source, no drift.
import type { TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { GROUP, VERSION } from './schema.js';
import { KINDS, KIND_NAMES, type KindInfo } from './kinds.js';

type Json = Record<string, unknown>;

/** Converts a TypeBox (JSON Schema) node into a structural OpenAPI v3 schema node. */
export function toOpenApi(schema: TSchema): Json {
  const s = schema as Json;
  const out: Json = {};
  const described = typeof s.description === 'string' ? { description: s.description } : {};
  // Unions of string literals become enums; a string|number union becomes int-or-string.
  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as Json[];
    if (members.every((m) => 'const' in m)) return { ...described, type: 'string', enum: members.map((m) => m.const) };
    if (members.some((m) => m.type === 'number' || m.type === 'integer'))
      return { ...described, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  if ('const' in s) return { ...described, type: 'string', enum: [s.const] };
  for (const key of ['description', 'type', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'maxItems'])
    if (key in s) out[key] = s[key];
  if (s.properties) {
    const props = s.properties as Record<string, TSchema>;
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, toOpenApi(v)]));
    if (Array.isArray(s.required) && s.required.length > 0) out.required = s.required;
  }
  if (s.patternProperties) {
    const [value] = Object.values(s.patternProperties as Record<string, TSchema>);
    if (value) out.additionalProperties = toOpenApi(value);
  }
  if (s.items) out.items = toOpenApi(s.items as TSchema);
  for (const key of Object.keys(s)) if (key.startsWith('x-kubernetes-')) out[key] = s[key];
  return out;
}

/** The openAPIV3Schema of one kind: metadata left to the API server, spec required. */
export function kindSchema(info: KindInfo): Json {
  const schema = toOpenApi(info.schema);
  const properties = schema.properties as Json;
  properties.metadata = { type: 'object' };
  return { ...schema, required: ['spec'] };
}

export function crdFor(info: KindInfo): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: info.shortNames,
        categories: ['kure'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: info.columns,
          schema: { openAPIV3Schema: kindSchema(info) },
        },
      ],
    },
  };
}

/** File name → YAML of every CRD, as checked in under crds/. */
export function crdFiles(): Map<string, string> {
  const header = '# Generated from src/api/schema.ts by `npm run crds`. Do not edit.\n';
  return new Map(
    KIND_NAMES.map((kind) => {
      const info = KINDS[kind];
      return [`${GROUP}_${info.plural}.yaml`, header + stringify(crdFor(info), { lineWidth: 0, aliasDuplicateObjects: false })];
    }),
  );
}
