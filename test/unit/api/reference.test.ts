// docs/reference.md and the descriptions `kubectl explain` prints both come from src/api/schema.ts:
// these fail when the reference is stale, when a field has no description, or when a documented
// default drifts from the one the model applies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { crdFiles } from '../../../src/api/crd.js';
import { fieldRows, referenceMarkdown, splitDefault } from '../../../src/api/reference.js';
import { DEFAULTS } from '../../../src/model/assemble.js';

type Json = Record<string, unknown>;

/** openAPIV3Schema of each generated CRD, by kind. */
const schemas = (): Map<string, Json> =>
  new Map(
    [...crdFiles().values()].map((text) => {
      const crd = parse(text);
      return [crd.spec.names.kind as string, crd.spec.versions[0].schema.openAPIV3Schema as Json];
    }),
  );

/** Every property (and array item object's property) below `node` without a non-empty description. */
function undescribed(node: Json, path: string): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Json>)) {
    const here = `${path}.${key}`;
    if (typeof child.description !== 'string' || child.description.trim() === '') out.push(here);
    out.push(...undescribed(child, here));
    if (child.items) out.push(...undescribed(child.items as Json, `${here}[]`));
  }
  return out;
}

const defaultOf = (kind: string, path: string): string => {
  const row = fieldRows(schemas().get(kind) as Json).find((r) => r.path === path);
  if (!row) throw new Error(`${kind} has no field ${path}`);
  return row.default ?? '';
};

describe('docs/reference.md', () => {
  it('is up to date with src/api/schema.ts (run `npm run crds`)', () => {
    expect(readFileSync(join(process.cwd(), 'docs', 'reference.md'), 'utf8')).toBe(referenceMarkdown());
  });

  it('lists every field and every CEL rule message of the CRDs', () => {
    const doc = referenceMarkdown();
    for (const [kind, schema] of schemas()) {
      const section = doc.slice(doc.indexOf(`## ${kind}\n`));
      for (const row of fieldRows(schema)) expect(section).toContain(`| \`${row.path}\` |`);
      const messages = JSON.stringify(schema).match(/"message":"[^"]*"/g) ?? [];
      expect(messages.length).toBeGreaterThan(0);
      for (const m of messages) expect(doc).toContain(`rule: ${JSON.parse(`{${m}}`).message}`);
    }
  });
});

describe('CRD descriptions', () => {
  it('describe every kind and every field, spec and status, nested objects included', () => {
    for (const [kind, schema] of schemas()) {
      expect(typeof schema.description).toBe('string');
      // metadata is the API server's ObjectMeta, and a CRD may not describe it (422 Forbidden).
      expect(undescribed(schema, kind)).toEqual([`${kind}.metadata`]);
    }
  });

  it('state the defaults the model applies (src/model/assemble.ts DEFAULTS)', () => {
    expect(defaultOf('KureCluster', 'spec.gitops.flux.namespace')).toBe(DEFAULTS.fluxNamespace);
    expect(defaultOf('KureCluster', 'spec.gitops.flux.sourceRef')).toBe(`${DEFAULTS.fluxSource.kind} ${DEFAULTS.fluxSource.name}`);
    expect(defaultOf('KureCluster', 'spec.gitops.argocd.namespace')).toBe(DEFAULTS.argocdNamespace);
    expect(defaultOf('KureCluster', 'spec.gitops.argocd.project')).toBe(DEFAULTS.argocdProject);
    expect(defaultOf('KureCluster', 'spec.gitops.argocd.destination')).toContain(`server ${DEFAULTS.argocdServer} `);
    expect(defaultOf('KureCluster', 'spec.repository.branch')).toBe(DEFAULTS.branch);
    expect(defaultOf('KureCluster', 'spec.repository.author')).toBe(`${DEFAULTS.author.name} <${DEFAULTS.author.email}>`);
    expect(defaultOf('KureBundle', 'spec.interval')).toBe(DEFAULTS.interval);
    expect(defaultOf('KureNode', 'spec.source.interval')).toBe(DEFAULTS.sourceInterval);
  });

  it('split a closing "Default: ..." sentence into the reference\'s Default column', () => {
    expect(splitDefault('Branch to push. Default: main.')).toEqual({ text: 'Branch to push.', default: 'main' });
    expect(splitDefault('No default here.')).toEqual({ text: 'No default here.' });
  });
});
