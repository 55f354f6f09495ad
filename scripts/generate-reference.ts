// Writes docs/reference.md, the field reference generated from the CRD schemas (npm run crds / npm run reference).
// test/unit/api/reference.test.ts fails when it is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceMarkdown } from '../dist/src/api/reference.js';

const dir = join(import.meta.dirname, '..', 'docs');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'reference.md'), referenceMarkdown());
console.log(`wrote ${join(dir, 'reference.md')}`);
