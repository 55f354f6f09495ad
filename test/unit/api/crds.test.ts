// crds/ is generated from src/api/schema.ts; this fails when someone changes one without the other.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { crdFiles } from '../../../src/api/crd.js';

const dir = join(process.cwd(), 'crds');

describe('CRDs', () => {
  it('are up to date with src/api/schema.ts (run `npm run crds`)', () => {
    const expected = crdFiles();
    expect(readdirSync(dir).sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
  });

  it('declare the status subresource, the kure category and printer columns for every kind', () => {
    for (const text of crdFiles().values()) {
      const crd = parse(text);
      const version = crd.spec.versions[0];
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names.categories).toEqual(['kure']);
      expect(version.subresources).toEqual({ status: {} });
      expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['Ready', 'Reason', 'Age']));
    }
  });

  it('never combine properties with additionalProperties (structural schema rule)', () => {
    const walk = (node: unknown, path: string): string[] => {
      if (typeof node !== 'object' || node === null) return [];
      const o = node as Record<string, unknown>;
      const here = o.properties && o.additionalProperties ? [path] : [];
      return [...here, ...Object.entries(o).flatMap(([k, v]) => walk(v, `${path}.${k}`))];
    };
    for (const text of crdFiles().values()) expect(walk(parse(text), '')).toEqual([]);
  });
});
