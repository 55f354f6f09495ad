// What the schema check of the generated objects adds to a render of the bench fleet
// (bench/render.ts): the same model rendered with and without the check, caches cold each time.
import { assemble } from '../src/model/assemble.js';
import { checkCluster } from '../src/render/check.js';
import { renderTree } from '../src/render/engines.js';
import { fleet } from './render.js';

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export function benchSchemaCheck(rounds = 5): Record<string, number> {
  const plain: number[] = [];
  const checked: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Fresh resources each round: no memo of an earlier round can hit.
    const a = assemble(fleet()).clusters[0]!.model;
    const b = assemble(fleet()).clusters[0]!.model;
    global.gc?.();
    let t = process.hrtime.bigint();
    renderTree(a);
    plain.push(ms(t));
    global.gc?.();
    t = process.hrtime.bigint();
    const found = checkCluster(b, () => false).problems;
    checked.push(ms(t));
    if (found.length > 0) throw new Error(`bench fleet fails its schemas: ${found.length} problems`);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  return {
    'schema_check.render_ms': Math.round(median(plain)),
    'schema_check.render_and_check_ms': Math.round(median(checked)),
    'schema_check.added_ms': Math.round(median(checked) - median(plain)),
  };
}
