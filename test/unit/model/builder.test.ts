import { ClusterBuilder } from '../../../src/model/builder.js';
import { ValidationError } from '../../../src/model/problems.js';
import { parseResources } from '../../../src/cli/read.js';
import { assemble } from '../../../src/model/assemble.js';
import { render } from '../../../src/render/index.js';
import { stringify } from 'yaml';

const certManager = { helm: { chart: 'cert-manager', version: 'v1.16.2', repository: { url: 'https://charts.jetstack.io' } } };

describe('ClusterBuilder', () => {
  const builder = () =>
    new ClusterBuilder('production', { namespace: 'platform', repository: { url: 'https://git.example.com/fleet.git' } })
      .withNode('infrastructure')
      .withBundle('cert-manager', { wait: true })
      .withApplication('cert-manager', certManager)
      .end()
      .withBundle('issuers')
      .dependsOn('cert-manager')
      .withApplication('letsencrypt', { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }] })
      .end()
      .end();

  it('builds the model of API.md', () => {
    const model = builder().build();
    expect(model.name).toBe('production');
    expect(model.engine).toBe('flux');
    const [infra] = model.nodes;
    expect(infra!.bundles.map((b) => [b.name, b.dependsOn])).toEqual([
      ['cert-manager', []],
      ['issuers', ['cert-manager']],
    ]);
    expect(infra!.bundles[0]!.applications[0]!.content).toEqual({ type: 'helm', helm: certManager.helm });
  });

  it('renders exactly what the same resources give through YAML', () => {
    const resources = builder().resources();
    const yaml = resources.map((r) => stringify(r)).join('---\n');
    const viaYaml = assemble(parseResources('b.yaml', yaml).resources).clusters[0]!.model;
    expect(render(viaYaml)).toEqual(render(builder().build()));
  });

  it('nests nodes', () => {
    const model = new ClusterBuilder('c', { repository: { url: 'https://g.example.com/r.git' } })
      .withEngine('argocd')
      .withNode('a')
      .withNode('b')
      .withBundle('x')
      .withApplication('app', { workload: { image: 'nginx:1.27' } })
      .end()
      .end()
      .end()
      .build();
    expect(model.engine).toBe('argocd');
    expect(model.nodes[0]!.children[0]!.path).toEqual(['a', 'b']);
    expect(model.nodes[0]!.children[0]!.bundles[0]!.nodePath).toEqual(['a', 'b']);
  });

  it('throws a ValidationError listing every problem', () => {
    const bad = new ClusterBuilder('Prod').withNode('n').withBundle('b').dependsOn('b').end().end();
    expect(() => bad.build()).toThrow(ValidationError);
    try {
      bad.build();
    } catch (e) {
      const lines = (e as ValidationError).problems.map((p) => `${p.ref.kind}/${p.field}`);
      expect(lines).toEqual(
        expect.arrayContaining(['KureCluster/metadata.name', 'KureCluster/spec.repository.url', 'KureBundle/spec.dependsOn[0].name']),
      );
    }
  });
});
