// Bundles what `kure render|validate|diff` imports (dist/src/cli/render.js: the reader, the model,
// the renderer, yaml, js-yaml, TypeBox: some 400 modules) into one file, which src/cli/main.ts
// imports when it exists. Loading one module instead of 400 took a small render from 243 to 111 ms
// of CPU and the 10,000-application render 2,264 -> 1,941 ms (docs/performance.md). Run by
// `npm run build` after tsc; without it, main.ts imports the modules themselves.
import { join } from 'node:path';
import { build } from 'esbuild';

const cli = join(import.meta.dirname, '..', 'dist', 'src', 'cli');
await build({
  entryPoints: [join(cli, 'render.js')],
  outfile: join(cli, 'render.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  // yaml is CommonJS: give the bundle a require() of its own.
  banner: { js: "import { createRequire as __kureRequire } from 'node:module'; const require = __kureRequire(import.meta.url);" },
});
