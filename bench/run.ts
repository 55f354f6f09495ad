// `npm run bench`: every benchmark, one JSON line of numbers each, then one table of the numbers that
// have targets (ARCHITECTURE.md), with the machine it ran on. `npm run bench -- render git` runs some.
// A benchmark is an entry of BENCHES: its name, what runs it, and (optionally) its table rows.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { benchControllerLatency } from './controller-latency.js';
import { benchFleetScale } from './fleet-scale.js';
import { benchGitCommit } from './git-commit.js';
import { benchRender } from './render.js';
import { benchSchemaCheck } from './schema-check.js';

type Numbers = Record<string, number>;
/** What, measured value, target. */
type Row = [string, string, string];

interface Bench {
  name: string;
  run: () => Promise<Numbers> | Numbers;
  rows?: (r: Numbers) => Row[];
}

const ms = (x: number | undefined): string => (x === undefined ? '-' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const mb = (x: number | undefined): string => (x === undefined ? '-' : x < 10 ? `${x.toFixed(1)} MB` : `${Math.round(x)} MB`);
const times = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);

const BENCHES: Bench[] = [
  {
    name: 'render',
    run: benchRender,
    rows: (r) => [
      ...(['1k', '10k', '100k'] as const)
        .filter((k) => r[`render.cli_${k}_ms`] !== undefined)
        .map((k): Row => [
          `kure render, ${k} applications (${r[`render.cli_${k}_files`]} files, ${r[`render.cli_${k}_input_mb`]} MB in), whole process: time, CPU, peak RSS`,
          `${ms(r[`render.cli_${k}_ms`])}, ${ms(r[`render.cli_${k}_cpu_ms`])}, ${mb(r[`render.cli_${k}_peak_rss_mb`])}`,
          k === '10k' ? '< 900 ms, < 200 MB' : k === '100k' ? '< 10 s, < 2 GB, linear' : '',
        ]),
      ['re-render after one application changes (in-process, 10k, median of 5)', ms(r['render.rerender_one_change_ms']), '< 50 ms'],
    ],
  },
  {
    name: 'schema-check',
    run: benchSchemaCheck,
    rows: (r) => [['schema check of every generated object (in-process, 10k, CPU)', `+${ms(r['schema_check.added_ms'])} on ${ms(r['schema_check.render_ms'])}`, '~100 ms']],
  },
  {
    name: 'git',
    run: benchGitCommit,
    rows: (r) => [
      [
        `first sync of ${r.files} files / git clone --no-checkout (partial clones allowed)`,
        `${times(r.cold_sync_ratio)} (${ms(r.cold_sync_ms)} / ${ms(r.git_clone_no_checkout_ms)})`,
        '< 3x',
      ],
      [
        'first sync / git clone --no-checkout (server without partial clones)',
        `${times(r.cold_sync_no_filter_ratio)} (${ms(r.cold_sync_no_filter_ms)} / ${ms(r.git_clone_no_checkout_ms)})`,
        '',
      ],
      ['one-file commit (sync incl. push) / git add + git commit', `${times(r.one_file_ratio)} (${ms(r.one_file_sync_ms)} / ${ms(r.git_add_commit_ms)})`, '< 2x'],
      ['one-file commit / git add + git commit + git push', `${times(r.one_file_ratio_with_push)} (+ push ${ms(r.git_push_ms)})`, ''],
      [
        `sink cache after 1 / ${r.cache_commits} commits`,
        `${mb(r.cache_after_1_commits_mb)} (${r.cache_after_1_commits_files} files) / ${mb(r[`cache_after_${r.cache_commits}_commits_mb`])} (${r[`cache_after_${r.cache_commits}_commits_files`]} files)`,
        'bounded',
      ],
      [`sink commit over those ${r.cache_commits} (compactions included): mean / p99 / max`, `${ms(r.cache_commit_mean_ms)} / ${ms(r.cache_commit_p99_ms)} / ${ms(r.cache_commit_max_ms)}`, ''],
    ],
  },
  {
    name: 'controller',
    run: benchControllerLatency,
    rows: (r) => [
      ['controller: change -> pushed commit, p50 / p99', `${ms((r.controller_change_to_commit_p50_s ?? NaN) * 1000)} / ${ms((r.controller_change_to_commit_p99_s ?? NaN) * 1000)}`, 'p50 < 1 s'],
      ['controller: 1,000 resources applied at once -> commits', String(r.controller_burst_1000_commits), '<= 5'],
    ],
  },
  {
    // The longest (about 30 min: 110,000 objects are created in the API server first): last, and
    // `npm run bench -- fleet` alone.
    name: 'fleet',
    run: benchFleetScale,
    rows: (r) =>
      [1, 10, 50, 100]
        .filter((n) => r[`fleet.c${n}_cold_start_s`] !== undefined)
        .map((n): Row => [
          `controller, ${n} cluster(s) x 1,000 applications (${r[`fleet.c${n}_objects`]} objects): change -> commit p50 / p99, cold start, peak RSS${r[`fleet.c${n}_memory_limit_mb`] ? ` (in a ${r[`fleet.c${n}_memory_limit_mb`]} MiB memory cgroup, as a pod's limit)` : ''}, idle CPU`,
          `${ms(r[`fleet.c${n}_change_to_commit_p50_s`]! * 1000)} / ${ms(r[`fleet.c${n}_change_to_commit_p99_s`]! * 1000)}, ${(r[`fleet.c${n}_cold_start_s`] ?? NaN).toFixed(0)} s, ${mb(r[`fleet.c${n}_peak_rss_mb`])}, ${(r[`fleet.c${n}_idle_cpu_ms_per_s`] ?? NaN).toFixed(1)} ms/s`,
          n === 100 ? 'p50 < 1 s, p99 < 2 s, < 3 min, < 1.5 GB, ~0' : 'flat',
        ]),
  },
];

function machine(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let node = process.version;
  try {
    node += `, git ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim().replace(/^git version /, '')}`;
  } catch {
    // no git
  }
  return `${os.availableParallelism()} CPUs (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${node}`;
}

const load = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' ');

const only = process.argv.slice(2);
const rows: Row[] = [];
const loadBefore = load();
const started = Date.now();
for (const b of BENCHES) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  const result = await b.run();
  console.log(JSON.stringify({ bench: b.name, ...result }));
  rows.push(...(b.rows?.(result) ?? Object.entries(result).map(([k, v]): Row => [`${b.name}: ${k}`, String(v), ''])));
}
console.log(`\nMachine: ${machine()}`);
console.log(`Load average (1/5/15 min) before: ${loadBefore}; after: ${load()}; ${Math.round((Date.now() - started) / 1000)} s\n`);
console.log('| measure | value | target |\n|---|---|---|');
for (const [what, value, target] of rows) console.log(`| ${what} | ${value} | ${target} |`);
