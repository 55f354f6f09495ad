// Writes crds/*.yaml from the TypeBox schemas (npm run crds). test/unit/api/crds.test.ts fails when they are stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crdFiles } from '../dist/src/api/crd.js';

const dir = join(import.meta.dirname, '..', 'crds');
mkdirSync(dir, { recursive: true });
for (const [name, text] of crdFiles()) writeFileSync(join(dir, name), text);
console.log(`wrote ${crdFiles().size} CRDs to ${dir}`);
