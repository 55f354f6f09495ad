// The Helm chart ships a copy of the generated CRDs (Helm installs crds/ before templates); it must
// never drift from the top-level crds/ that `npm run crds` generates.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const list = (dir: string) => readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.yaml')).sort();

describe('deploy/kure chart', () => {
  it('carries exactly the CRDs of crds/, byte for byte', () => {
    expect(list('deploy/kure/crds')).toEqual(list('crds'));
    for (const f of list('crds')) {
      expect(readFileSync(path.join(root, 'deploy/kure/crds', f), 'utf8')).toBe(readFileSync(path.join(root, 'crds', f), 'utf8'));
    }
  });

  it('Chart.yaml and values.yaml parse, and the Deployment runs `kure controller` with health probes', () => {
    const chart = parse(readFileSync(path.join(root, 'deploy/kure/Chart.yaml'), 'utf8')) as { apiVersion: string; name: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'kure' });
    const values = parse(readFileSync(path.join(root, 'deploy/kure/values.yaml'), 'utf8')) as { controller: { leaderElect: boolean } };
    expect(values.controller.leaderElect).toBe(true);
    const deployment = readFileSync(path.join(root, 'deploy/kure/templates/deployment.yaml'), 'utf8');
    expect(deployment).toMatch(/- controller\n/);
    expect(deployment).toContain('path: /healthz');
    expect(deployment).toContain('path: /readyz');
    const rbac = readFileSync(path.join(root, 'deploy/kure/templates/rbac.yaml'), 'utf8');
    for (const r of ['kureclusters/status', 'secrets', 'events', 'leases']) expect(rbac).toContain(r);
  });
});
