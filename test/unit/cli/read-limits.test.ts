// The CLI reader and the input limits: a file too large, a document nested too deep (flow, compact
// block, by indentation) and an object too large are refused with a message naming the file (and
// where, and the object), in bounded time; the other files and documents are still read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_DEPTH, MAX_FILE_BYTES } from '../../../src/model/limits.js';
import { parseResources, readResources } from '../../../src/cli/read.js';

const app = (name: string, extra = '') =>
  `apiVersion: kure.dev/v1alpha1\nkind: KureApplication\nmetadata:\n  name: ${name}\nspec:\n  bundleRef: {name: web}\n${extra}`;

const timed = <T>(fn: () => T): { value: T; ms: number } => {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
};

describe('kure input limits in the reader', () => {
  it('a document of 100,000 nested flow lists is refused at once, naming the file and position; the next file is read', () => {
    const { value, ms } = timed(() => parseResources('deep.yaml', `${app('a')}---\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`));
    expect(value.resources).toEqual([]);
    expect(value.errors).toEqual([`deep.yaml:8:${4 + MAX_DEPTH}: nested deeper than ${MAX_DEPTH} levels; the file is refused`]);
    expect(ms).toBeLessThan(1000); // before the limit, the parsers overflowed their stacks after about 6 s
  });

  it('compact block nesting (- - - ...) and nesting by indentation beyond the limit are refused', () => {
    const compact = parseResources('compact.yaml', `${app('a', `  manifests:\n  - ${'- '.repeat(MAX_DEPTH + 1)}x\n`)}`);
    expect(compact.errors[0]).toMatch(/^compact\.yaml:8:\d+: nested deeper than 100 levels/);
    const indented = Array.from({ length: MAX_DEPTH + 5 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n');
    const byIndent = parseResources('indent.yaml', app('deep', `  manifests:\n  - data:\n${indented} end\n`));
    expect(byIndent.resources).toEqual([]);
    expect(byIndent.errors).toHaveLength(1);
    expect(byIndent.errors[0]).toMatch(/^indent\.yaml:1:1: KureApplication deep: spec\.k0\.k1\.\S+ is nested deeper than 100 levels; it is refused$/);
    // Deep but within the limit is read.
    const ok = Array.from({ length: 60 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n');
    expect(parseResources('ok.yaml', app('fine', `  manifests:\n  - data:\n${ok} end\n`)).errors).toEqual([]);
  });

  it('an object larger than 1.5 MiB is refused by name; a file larger than 16 MiB is refused by its size before it is read', () => {
    const big = parseResources('big.yaml', app('huge', `  manifests:\n  - data: {x: "${'y'.repeat(1600 * 1024)}"}\n`) + '---\n' + app('small'));
    expect(big.resources.map((r) => r.metadata.name)).toEqual(['small']);
    expect(big.errors).toHaveLength(1);
    expect(big.errors[0]).toMatch(/^big\.yaml:1:1: KureApplication huge is \d+ bytes, more than the limit of 1572864 bytes \(1\.5 MiB\); it is refused$/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-limits-'));
    try {
      const huge = path.join(dir, 'a-huge.yaml');
      fs.writeFileSync(huge, '');
      fs.truncateSync(huge, MAX_FILE_BYTES + 1); // sparse: nothing is written, and nothing must be read
      fs.writeFileSync(path.join(dir, 'b-ok.yaml'), app('ok'));
      const { value, ms } = timed(() => readResources([dir], () => ''));
      expect(value.errors).toEqual([`${huge} is ${MAX_FILE_BYTES + 1} bytes, more than the limit of ${MAX_FILE_BYTES} bytes (16 MiB); it is refused`]);
      expect(value.resources.map((r) => r.metadata.name)).toEqual(['ok']);
      expect(ms).toBeLessThan(1000);
      // stdin has no size to stat: its text is measured.
      const fromStdin = readResources(['-'], () => `# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
      expect(fromStdin.errors).toEqual([`<stdin> is ${MAX_FILE_BYTES + 3} bytes, more than the limit of ${MAX_FILE_BYTES} bytes (16 MiB); it is refused`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
