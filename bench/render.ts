// Render benchmark: a cluster of 50 nodes, 1,000 bundles and 10,000 applications (ARCHITECTURE.md targets:
// assemble+validate+render under 2 s and 500 MB peak; re-render after one application changes under 50 ms).
import { API_VERSION, type KureResource } from '../src/api/schema.js';
import { assemble } from '../src/model/assemble.js';
import { render } from '../src/render/index.js';

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

export function benchRender(): Record<string, number> {
  const resources = fleet();
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const assembled = assemble(resources);
  const tAssemble = ms(t0);
  const [cluster] = assembled.clusters;
  if (!cluster || assembled.problems.length > 0) throw new Error(`bench fleet is invalid: ${assembled.problems.length} problems`);
  const t1 = process.hrtime.bigint();
  const tree = render(cluster.model);
  const tRender = ms(t1);
  const total = ms(t0);

  // One application changes: the controller re-assembles from its caches and re-renders.
  const changed = resources.map((r) =>
    r.kind === 'KureApplication' && r.metadata.name === 'app-3' ? { ...r, spec: { ...r.spec, workload: { image: 'ghcr.io/acme/app-3:1.0.1' } } } : r,
  ) as KureResource[];
  const t2 = process.hrtime.bigint();
  const model = assemble(changed).clusters[0]!.model;
  const tReassemble = ms(t2);
  const t3 = process.hrtime.bigint();
  const again = render(model);
  const tRerender = ms(t3);
  const differing = [...again].filter(([p, text]) => tree.get(p) !== text).length;
  return {
    'render.files': tree.size,
    'render.assemble_ms': Math.round(tAssemble),
    'render.render_ms': Math.round(tRender),
    'render.total_ms': Math.round(total),
    'render.reassemble_one_change_ms': Math.round(tReassemble),
    'render.rerender_one_change_ms': Math.round(tRerender),
    'render.rerender_changed_files': differing,
    'render.peak_rss_mb': Math.round(process.resourceUsage().maxRSS / 1024),
    'render.rss_growth_mb': Math.round((process.memoryUsage().rss - rssBefore) / 1024 / 1024),
  };
}
