// The input limits (src/model/limits.ts): each refuses what is over it, with a message naming it,
// in bounded time, and lets what is under it through.
import { MAX_DEPTH, MAX_OBJECT_BYTES, checkDepth, checkObjectLimits, checkSize, yamlNestingOffset } from '../../../src/model/limits.js';
import { configMapApp } from '../support/fleet.js';

const nestedValue = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? { k: v } : [v];
  return v;
};

describe('input limits', () => {
  it('checkSize: at the limit passes; one byte over is refused with the name and both numbers', () => {
    expect(checkSize('fleet.yaml', 100, 100)).toBeUndefined();
    expect(checkSize('fleet.yaml', 101, 100)).toBe('fleet.yaml is 101 bytes, more than the limit of 100 bytes (0.0 MiB); it is refused');
  });

  it('checkDepth: the path of the first value too deep; exactly MAX_DEPTH levels pass; a million levels take no stack', () => {
    expect(checkDepth(nestedValue(MAX_DEPTH))).toBeUndefined();
    expect(checkDepth(nestedValue(MAX_DEPTH + 1))).toMatch(/^\[0\]\.k\[0\]/);
    expect(checkDepth({ spec: { a: [1, 2, { b: nestedValue(5) }] } }, 4)).toBe('spec.a[2].b');
    const t = performance.now();
    expect(checkDepth(nestedValue(1_000_000))).toBeDefined();
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('yamlNestingOffset: flow and compact block nesting found by a scan, quoted brackets and ordinary YAML ignored', () => {
    expect(yamlNestingOffset('a: [[[1]]]\nb: {c: {d: 1}}\n')).toBeUndefined();
    expect(yamlNestingOffset(`a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\nc: |\n  ${'['.repeat(500)}\n`)).toBeUndefined();
    expect(yamlNestingOffset(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`)).toBeUndefined();
    expect(yamlNestingOffset(`a: ${'['.repeat(MAX_DEPTH + 1)}`)).toBe(3 + MAX_DEPTH);
    expect(yamlNestingOffset(`${'- '.repeat(MAX_DEPTH + 5)}x\n`)).toBeDefined();
    expect(yamlNestingOffset(`${'- '.repeat(10)}x\n`.repeat(1000))).toBeUndefined();
    // A million levels (2 MB): a linear scan, well under a second.
    const t = performance.now();
    expect(yamlNestingOffset('{a: '.repeat(500_000))).toBeDefined();
    expect(performance.now() - t).toBeLessThan(3000);
  });

  it('checkObjectLimits: names the object; too deep or too large is refused', () => {
    const obj = { kind: 'KureApplication', metadata: { namespace: 'team-a', name: 'web' }, spec: { manifests: [{ data: { x: 'y' } }] } };
    expect(checkObjectLimits(obj)).toBeUndefined();
    expect(checkObjectLimits({ ...obj, spec: nestedValue(MAX_DEPTH + 2) as never })).toMatch(/^KureApplication team-a\/web: spec\S* is nested deeper than 100 levels/);
    const big = { ...obj, spec: { manifests: [{ data: { x: 'y'.repeat(MAX_OBJECT_BYTES) } }] } };
    expect(checkObjectLimits(big)).toMatch(/^KureApplication team-a\/web is \d+ bytes, more than the limit of 1572864 bytes \(1\.5 MiB\)/);
  });
});

describe('the model refuses a resource nested too deep (what the API server accepts)', () => {
  it('assemble: a 5,000-level application is refused by name and field; the rest of the cluster renders', async () => {
    const { assemble } = await import('../../../src/model/assemble.js');
    const { render } = await import('../../../src/render/index.js');
    const { ClusterBuilder } = await import('../../../src/model/builder.js');
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 5000; i++) deep = { n: deep };
    const fleet = new ClusterBuilder('prod', { namespace: 'p', repository: { url: 'https://git.example.com/fleet.git', path: 'clusters/prod' } })
      .withNode('apps')
      .withBundle('web')
      .withApplication('good', configMapApp('good'))
      .withApplication('deep', configMapApp('deep', deep))
      .end()
      .end();
    const result = assemble(fleet.resources());
    const problem = result.problems.find((p) => p.ref.name === 'deep');
    expect(problem).toMatchObject({ field: expect.stringMatching(/^spec\.manifests\[0\]\.data\.n\.n/), message: `is nested deeper than ${MAX_DEPTH} levels (the input limit); the resource is refused` });
    expect(problem!.field.length).toBeLessThanOrEqual(201);
    expect(result.problems.filter((p) => p.ref.name !== 'deep')).toEqual([]);
    const files = [...render(result.clusters[0]!.model).values()].join('\n');
    expect(files).toContain('name: good');
    expect(files).not.toContain('name: deep');
  });
});
