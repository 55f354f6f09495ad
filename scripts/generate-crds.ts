// Writes the CRDs generated from the TypeBox schemas to crds/ and to the Helm chart (npm run crds).
// test/unit/api/crds.test.ts and the chart test fail when either copy is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crdFiles } from '../dist/src/api/crd.js';

const root = join(import.meta.dirname, '..');
for (const dir of [join(root, 'crds'), join(root, 'deploy', 'kure', 'crds')]) {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of crdFiles()) writeFileSync(join(dir, name), text);
  console.log(`wrote ${crdFiles().size} CRDs to ${dir}`);
}
