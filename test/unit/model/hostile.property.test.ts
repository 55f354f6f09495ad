// Hostile input, property-based (fast-check): over generated Kure resource sets with hostile names,
// namespaces and paths (unicode, dots, slashes, `..`, backslashes, very long), assemble and render
// never throw; they give problems, or a tree whose every path is a clean relative path that stays
// under the cluster's repository.path (joined, it never climbs out).
import fc from 'fast-check';
import path from 'node:path';
import type { KureResource } from '../../../src/api/schema.js';
import { assemble, isRenderable } from '../../../src/model/assemble.js';
import { render } from '../../../src/render/index.js';

const hostileChars = ['a', 'b', 'z', '0', '9', '-', '.', '/', '..', '\\', ' ', '_', 'É', 'ß', '漢', '\u202e', '\u0000', '~', ':', '*', '%2e'];
const hostile = fc.oneof(
  fc.constantFrom('web', 'a', 'prod', 'kustomization', 'flux-system', '..', '.', '/', '../etc', 'a/../../b', '/abs', 'x'.repeat(300), 'a'.repeat(63), 'a.b.c'),
  fc.array(fc.constantFrom(...hostileChars), { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')),
);
/** Mostly the valid value, sometimes a hostile one: every run must still reach the renderer often. */
const mostly = <T>(valid: fc.Arbitrary<T>, bad: fc.Arbitrary<T> = hostile as unknown as fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: bad, weight: 1 });
const repoPath = mostly(
  fc.constantFrom('clusters/prod', './clusters/prod/', 'clusters//prod', 'c/./d', 'a.b/c-d', 'ü/漢'),
  fc.oneof(fc.constantFrom('.', '../outside', '/etc', 'a/../../b', 'clusters\\prod', '..', 'a/..'), hostile),
);
const engine = fc.constantFrom('flux', 'argocd');

const resources = fc.record({
  engine,
  path: repoPath,
  ns: mostly(fc.constant('platform')),
  cluster: mostly(fc.constantFrom('prod', 'p-1')),
  node: mostly(fc.constantFrom('apps', 'kustomization', 'flux')),
  child: fc.option(mostly(fc.constantFrom('child', 'nodes')), { nil: undefined, freq: 2 }),
  bundles: fc.uniqueArray(fc.record({ name: mostly(fc.constantFrom('web', 'kustomization', 'apps', 'b-2')), target: fc.option(mostly(fc.constant('web')), { nil: undefined }) }), { minLength: 1, maxLength: 3, selector: (b) => b.name }),
  apps: fc.uniqueArray(
    fc.record({ name: mostly(fc.constantFrom('a', 'kustomization', 'web', 'b')), ns: fc.option(mostly(fc.constant('team-a')), { nil: undefined, freq: 3 }), object: mostly(fc.constantFrom('cm', 'a.b')), bundle: fc.nat(2) }),
    { maxLength: 4, selector: (a) => `${a.ns}/${a.name}` },
  ),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toResources(r: any): KureResource[] {
  const meta = (name: string, namespace = r.ns) => ({ name, namespace });
  const out: Record<string, unknown>[] = [
    {
      apiVersion: 'kure.dev/v1alpha1',
      kind: 'KureCluster',
      metadata: meta(r.cluster),
      spec: { gitops: { engine: r.engine }, repository: { url: 'https://git.example.com/fleet.git', path: r.path } },
    },
    { apiVersion: 'kure.dev/v1alpha1', kind: 'KureNode', metadata: meta(r.node), spec: { clusterRef: { name: r.cluster } } },
  ];
  const parent = r.child === undefined ? r.node : r.child;
  if (r.child !== undefined) out.push({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureNode', metadata: meta(r.child), spec: { parentRef: { name: r.node } } });
  r.bundles.forEach((b: { name: string; target?: string }) =>
    out.push({ apiVersion: 'kure.dev/v1alpha1', kind: 'KureBundle', metadata: meta(b.name), spec: { nodeRef: { name: parent }, ...(b.target ? { targetNamespace: b.target } : {}) } }),
  );
  r.apps.forEach((a: { name: string; ns?: string; object: string; bundle: number }) => {
    const b = r.bundles[a.bundle % r.bundles.length];
    out.push({
      apiVersion: 'kure.dev/v1alpha1',
      kind: 'KureApplication',
      metadata: meta(a.name, a.ns ?? r.ns),
      spec: {
        bundleRef: a.ns && a.ns !== r.ns ? { name: b.name, namespace: r.ns } : { name: b.name },
        manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: a.object }, data: { k: 'v' } }],
      },
    });
  });
  return out as unknown as KureResource[];
}

/** A clean relative path: no leading slash, no empty, `.` or `..` segment, no backslash or NUL. */
const clean = (p: string) => p !== '' && !p.startsWith('/') && !/[\\\0]/.test(p) && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');

describe('hostile input (property-based)', () => {
  it('assemble and render never throw; every rendered path stays under repository.path', () => {
    let rendered = 0;
    fc.assert(
      fc.property(resources, (r) => {
        const result = assemble(toResources(r));
        for (const c of result.clusters) {
          if (!isRenderable(c)) {
            // A refusal names a Kure object and a field.
            for (const p of c.problems) expect(p.ref.kind).toMatch(/^Kure/);
            continue;
          }
          const root = c.model.repository.path;
          expect(clean(root)).toBe(true);
          const tree = render(c.model);
          rendered++;
          for (const file of tree.keys()) {
            expect({ file, clean: clean(file) }).toEqual({ file, clean: true });
            const joined = path.posix.normalize(path.posix.join(root, file));
            expect(joined.startsWith(`${root}/`)).toBe(true);
          }
        }
      }),
      { numRuns: 400, seed: 20261202 },
    );
    // The generator must also reach the renderer, or the property says nothing about paths.
    expect(rendered).toBeGreaterThan(100);
  });
});
