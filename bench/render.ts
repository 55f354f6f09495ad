// Render benchmark (ARCHITECTURE.md targets):
// - whole process: `kure render` of a fleet of 50 nodes, N/10 bundles and N applications read from a
//   directory of YAML files (at most 25,000 documents each), output on tmpfs: 10,000 applications
//   under 0.9 s and 200 MB peak RSS; 100,000 under 10 s and 2 GB, growing linearly from 1,000. Median of several runs into the same output
//   directory (each run replaces the tree the previous one wrote, as a re-render does), after one
//   warm-up run.
// - in-process, 10,000 applications: the core (assemble, render), and re-render after one application
//   changes (under 50 ms), as the controller does it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';
import { API_VERSION, type KureResource } from '../src/api/schema.js';
import { assemble } from '../src/model/assemble.js';
import { Renderer } from '../src/render/index.js';
import { median, runNode, scratchDir, shebangFlags } from './process.js';

export function fleet(nodes = 50, bundles = 1000, apps = 10_000): KureResource[] {
  const ns = 'platform';
  const meta = (name: string) => ({ name, namespace: ns });
  const out: KureResource[] = [
    {
      apiVersion: API_VERSION,
      kind: 'KureCluster',
      metadata: meta('bench'),
      spec: { gitops: { engine: 'flux' }, repository: { url: 'https://git.example.com/fleet.git' } },
    },
  ];
  for (let n = 0; n < nodes; n++)
    out.push({
      apiVersion: API_VERSION,
      kind: 'KureNode',
      metadata: meta(`node-${n}`),
      spec: n < 10 ? { clusterRef: { name: 'bench' } } : { parentRef: { name: `node-${n % 10}` } },
    });
  for (let b = 0; b < bundles; b++)
    out.push({
      apiVersion: API_VERSION,
      kind: 'KureBundle',
      metadata: meta(`bundle-${b}`),
      spec: { nodeRef: { name: `node-${b % nodes}` }, ...(b % 10 ? { dependsOn: [{ name: `bundle-${b - (b % 10)}` }] } : {}) },
    });
  for (let a = 0; a < apps; a++) {
    const bundleRef = { name: `bundle-${a % bundles}` };
    const kind = a % 3;
    out.push({
      apiVersion: API_VERSION,
      kind: 'KureApplication',
      metadata: meta(`app-${a}`),
      spec:
        kind === 0
          ? { bundleRef, workload: { image: `ghcr.io/acme/app-${a}:1.0.0`, replicas: 2, ports: [{ name: 'http', containerPort: 8080 }], service: { port: 80 } } }
          : kind === 1
            ? { bundleRef, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `app-${a}` }, data: { key: String(a) } }] }
            : { bundleRef, helm: { chart: 'podinfo', version: '6.7.0', repository: { url: 'https://stefanprodan.github.io/podinfo' }, releaseName: `app-${a}`, values: { replicaCount: 1 } } },
    });
  }
  return out;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export function benchRenderCore(): Record<string, number> {
  const resources = fleet();
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  // The controller's path: one Renderer (its memos) for the first render and the re-render.
  const renderer = new Renderer();
  const t0 = process.hrtime.bigint();
  const assembled = assemble(resources, { renderer });
  const tAssemble = ms(t0);
  const [cluster] = assembled.clusters;
  if (!cluster || assembled.problems.length > 0) throw new Error(`bench fleet is invalid: ${assembled.problems.length} problems`);
  const t1 = process.hrtime.bigint();
  const tree = renderer.render(cluster.model);
  const tRender = ms(t1);
  const total = ms(t0);

  // One application changes: the controller re-assembles from its caches and re-renders. Five
  // such changes one after the other (each from the last), median of each step.
  const reassembles: number[] = [];
  const rerenders: number[] = [];
  let previous = tree;
  let differing = 0;
  for (let i = 1; i <= 5; i++) {
    const changed = resources.map((r) =>
      r.kind === 'KureApplication' && r.metadata.name === 'app-3' ? { ...r, spec: { ...r.spec, workload: { image: `ghcr.io/acme/app-3:1.0.${i}` } } } : r,
    ) as KureResource[];
    const t2 = process.hrtime.bigint();
    const model = assemble(changed, { renderer }).clusters[0]!.model;
    reassembles.push(ms(t2));
    const t3 = process.hrtime.bigint();
    const again = renderer.render(model);
    rerenders.push(ms(t3));
    differing = Math.max(differing, [...again].filter(([p, text]) => previous.get(p) !== text).length);
    previous = again;
  }
  const tReassemble = median(reassembles);
  const tRerender = median(rerenders);
  return {
    'render.files': tree.size,
    'render.assemble_ms': Math.round(tAssemble),
    'render.render_ms': Math.round(tRender),
    'render.total_ms': Math.round(total),
    'render.reassemble_one_change_ms': Math.round(tReassemble),
    'render.rerender_one_change_ms': Math.round(tRerender),
    // The most files any of the five re-renders changed (one: the application's).
    'render.rerender_changed_files': differing,
    'render.peak_rss_mb': Math.round(process.resourceUsage().maxRSS / 1024),
    'render.rss_growth_mb': Math.round((process.memoryUsage().rss - rssBefore) / 1024 / 1024),
  };
}

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** Applications per size; KURE_BENCH_RENDER_SIZES=1000,10000 to leave out the 100,000. */
const SIZES = (process.env.KURE_BENCH_RENDER_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = (apps: number): number => (apps >= 100_000 ? 3 : 7);
const label = (apps: number): string => (apps % 1000 === 0 ? `${apps / 1000}k` : String(apps));

/** Documents per input file: 25,000 (about 7 MB) keeps every file well under the reader's 16 MiB limit. */
const DOCS_PER_FILE = 25_000;

/**
 * The fleet as multi-document YAML files in block style, as people write them, in directory `dir`:
 * one file up to 25,000 documents (1,000 and 10,000 applications), several beyond (100,000: 5 files).
 * Returns the bytes written.
 */
export function writeFleetYaml(dir: string, apps: number): number {
  const docs = fleet(50, Math.max(1, apps / 10), apps);
  fs.mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (let start = 0, n = 0; start < docs.length; start += DOCS_PER_FILE, n++) {
    const file = path.join(dir, `fleet-${String(n).padStart(2, '0')}.yaml`);
    const fd = fs.openSync(file, 'w');
    try {
      for (const d of docs.slice(start, start + DOCS_PER_FILE)) fs.writeSync(fd, `---\n${jsyaml.dump(d, { lineWidth: -1, noRefs: true })}`);
    } finally {
      fs.closeSync(fd);
    }
    bytes += fs.statSync(file).size;
  }
  return bytes;
}

export async function benchRenderCli(): Promise<Record<string, number>> {
  const dir = scratchDir('kure-bench-render-');
  const out: Record<string, number> = {};
  try {
    for (const apps of SIZES) {
      const input = path.join(dir, `fleet-${apps}`);
      const bytes = writeFleetYaml(input, apps);
      const outDir = path.join(dir, `out-${apps}`);
      const runs = [];
      for (let i = 0; i <= RUNS(apps); i++) {
        const r = await runNode([...shebangFlags(CLI), CLI, 'render', '-f', input, '-o', outDir]); // as the kure bin runs
        if (r.code !== 0) throw new Error(`kure render of ${apps} applications exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
        if (i > 0) runs.push(r); // the first run warms the page cache (node, modules, input)
      }
      const files = Number(/wrote (\d+) files/.exec(runs[0]!.stdout)?.[1] ?? NaN);
      const k = `render.cli_${label(apps)}`;
      out[`${k}_ms`] = Math.round(median(runs.map((r) => r.wallMs)));
      out[`${k}_cpu_ms`] = Math.round(median(runs.map((r) => r.cpuMs)));
      out[`${k}_peak_rss_mb`] = Math.round(Math.max(...runs.map((r) => r.maxRssMb)));
      out[`${k}_files`] = files;
      out[`${k}_input_mb`] = Math.round((bytes / 1048576) * 10) / 10;
      fs.rmSync(input, { recursive: true, force: true });
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function benchRender(): Promise<Record<string, number>> {
  return { ...(await benchRenderCli()), ...benchRenderCore() };
}
