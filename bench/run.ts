// `npm run bench`: every benchmark, one JSON line of numbers each. Targets are in ARCHITECTURE.md.
import { benchControllerLatency } from './controller-latency.js';
import { benchGitCommit } from './git-commit.js';
import { benchRender } from './render.js';
import { benchSchemaCheck } from './schema-check.js';

const benches: Record<string, () => Promise<Record<string, number>> | Record<string, number>> = {
  render: benchRender,
  'schema-check': benchSchemaCheck,
  git: benchGitCommit,
  controller: benchControllerLatency,
};

const only = process.argv.slice(2);
for (const [name, fn] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const result = await fn();
  console.log(JSON.stringify({ bench: name, ...result }));
}
