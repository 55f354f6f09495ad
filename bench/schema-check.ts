// What the schema check of the generated objects adds to a render of the bench fleet
// (bench/render.ts: 50 nodes, 1,000 bundles, 10,000 applications, about 17,700 objects): the same
// fleet rendered without and with the check, fresh objects each round (no memo hits), in CPU time.
import { assemble } from '../src/model/assemble.js';
import { PLAIN_RENDERER } from '../src/render/renderer.js';
import { checkCluster } from '../src/render/check.js';
import { renderTree } from '../src/render/engines.js';
import { fleet } from './render.js';

const plainTree: Parameters<typeof checkCluster>[2] = (m, c) => PLAIN_RENDERER.renderTree(m, c);

/** CPU milliseconds (user + system) since `start`: steadier than wall time on a shared machine. */
const ms = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
};

export function benchSchemaCheck(rounds = 7): Record<string, number> {
  const plain: number[] = [];
  const checked: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Fresh resources each round: no memo of an earlier round can hit.
    const a = assemble(fleet()).clusters[0]!.model;
    const b = assemble(fleet()).clusters[0]!.model;
    global.gc?.();
    let t = process.cpuUsage();
    renderTree(a);
    plain.push(ms(t));
    global.gc?.();
    t = process.cpuUsage();
    const found = checkCluster(b, () => false, plainTree).problems;
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
