// docs/reference.md, generated from the CRDs' openAPIV3Schema (itself generated from schema.ts), so the
// reference says exactly what `kubectl explain` says. scripts/generate-reference.ts writes it;
// test/unit/api/reference.test.ts fails when it is stale.
import { kindSchema } from './crd.js';
import { KINDS, KIND_NAMES } from './kinds.js';
import { API_VERSION } from './schema.js';

type Json = Record<string, unknown>;

export interface FieldRow {
  /** `spec.dependsOn[].name`: `[]` marks the items of an array. */
  path: string;
  type: string;
  required: boolean;
  /** The description's closing "Default: ..." sentence, when it has one. */
  default?: string;
  constraints: string[];
  description: string;
}

const DEFAULT_MARK = 'Default: ';
// The API server forbids a description on a CRD's metadata (it is always ObjectMeta).
const METADATA = 'Standard object metadata (ObjectMeta): name, namespace, labels, annotations.';

/** Splits a description into its text and its closing "Default: ..." sentence. */
export function splitDefault(description: string): { text: string; default?: string } {
  const at = description.lastIndexOf(DEFAULT_MARK);
  if (at < 0) return { text: description };
  return { text: description.slice(0, at).trimEnd(), default: description.slice(at + DEFAULT_MARK.length).replace(/\.$/, '') };
}

function typeOf(s: Json): string {
  if (s['x-kubernetes-int-or-string']) return 'int-or-string';
  if (s.type === 'array') return `[]${typeOf((s.items ?? {}) as Json)}`;
  if (s.type === 'object' && s.additionalProperties) return `map[string]${typeOf(s.additionalProperties as Json)}`;
  if (s.type === 'object' && s['x-kubernetes-preserve-unknown-fields']) return 'object (free-form)';
  return String(s.type ?? 'any');
}

function constraintsOf(s: Json): string[] {
  const out: string[] = [];
  if (Array.isArray(s.enum)) out.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (s.format) out.push(`format ${String(s.format)}`);
  if (s.pattern) out.push(`pattern \`${String(s.pattern)}\``);
  if (s.minLength !== undefined) out.push(`minLength ${String(s.minLength)}`);
  if (s.maxLength !== undefined) out.push(`maxLength ${String(s.maxLength)}`);
  if (s.minimum !== undefined) out.push(`minimum ${String(s.minimum)}`);
  if (s.maximum !== undefined) out.push(`maximum ${String(s.maximum)}`);
  if (s.maxItems !== undefined) out.push(`maxItems ${String(s.maxItems)}`);
  const rules = (s['x-kubernetes-validations'] ?? []) as { rule: string; message: string }[];
  for (const r of rules) out.push(`rule: ${r.message}`);
  return out;
}

/** Every field below `schema`, depth first in schema order; array items are walked as `path[]`. */
export function fieldRows(schema: Json, prefix = ''): FieldRow[] {
  const rows: FieldRow[] = [];
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  for (const [key, child] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const { text, default: dflt } = splitDefault(String(child.description ?? (path === 'metadata' ? METADATA : '')));
    const items = child.type === 'array' ? ((child.items ?? {}) as Json) : undefined;
    const row: FieldRow = {
      path,
      type: typeOf(child),
      required: required.has(key),
      ...(dflt !== undefined ? { default: dflt } : {}),
      // An array's row also shows what its items must satisfy.
      constraints: [...constraintsOf(child), ...(items ? constraintsOf(items).map((c) => `items: ${c}`) : [])],
      description: text,
    };
    rows.push(row, ...fieldRows(child, path));
    if (items) rows.push(...fieldRows(items, `${path}[]`));
  }
  return rows;
}

/** A Markdown table cell: no pipes or line breaks; outside code spans, no raw HTML and no emphasis either. */
const cell = (text: string): string =>
  text
    .replace(/\n/g, ' ')
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\\/g, '\\\\').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[*_]/g, '\\$&')))
    .join('`')
    .replace(/\|/g, '\\|');

export function referenceMarkdown(): string {
  const out: string[] = [
    '<!-- Generated from src/api/schema.ts by `npm run crds` (scripts/generate-reference.ts). Do not edit. -->',
    '# Kure resource reference',
    '',
    `Every field of the four kinds of \`${API_VERSION}\`. The descriptions are the CRDs' own, so`,
    '`kubectl explain kurebundle.spec.dependsOn` prints the same text. `[]` in a path marks the items of an',
    'array. Defaults are applied by Kure when it assembles the resources (the API server stores what you',
    'wrote). Constraints are checked by the API server (OpenAPI schema and CEL rules, whose messages are',
    'shown) and again by `kure render` / `kure validate` and the controller, which also check what the',
    'schema cannot: references, cycles, duplicates (see src/model/README.md).',
    '',
    KIND_NAMES.map((k) => `- [${k}](#${k.toLowerCase()})`).join('\n'),
  ];
  for (const kind of KIND_NAMES) {
    const info = KINDS[kind];
    const schema = kindSchema(info);
    out.push(
      '',
      `## ${kind}`,
      '',
      cell(String(schema.description ?? '')),
      '',
      `\`kubectl explain ${info.singular}\` · plural \`${info.plural}\` · short names ${info.shortNames.map((n) => `\`${n}\``).join(', ')} · namespaced`,
      '',
      '| Field | Type | Required | Default | Constraints | Description |',
      '|---|---|---|---|---|---|',
    );
    for (const row of fieldRows(schema)) {
      out.push(
        `| \`${row.path}\` | ${cell(row.type)} | ${row.required ? 'yes' : ''} | ${cell(row.default ?? '')} | ${row.constraints.map(cell).join('<br>')} | ${cell(row.description)} |`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
