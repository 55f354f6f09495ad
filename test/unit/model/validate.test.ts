// Each validation rule, with the exact message a user sees.
import { parseResources } from '../../../src/cli/read.js';
import { assemble, isRenderable } from '../../../src/model/assemble.js';
import { formatProblem } from '../../../src/model/problems.js';

const cluster = (extra = '') => `
apiVersion: kure.dev/v1alpha1
kind: KureCluster
metadata: {name: prod, namespace: platform}
spec:
  gitops: {engine: flux}
  repository: {url: https://git.example.com/fleet.git${extra}}
`;
const node = (name: string, ref: string) => `
apiVersion: kure.dev/v1alpha1
kind: KureNode
metadata: {name: ${name}, namespace: platform}
spec: {${ref}}
`;
const bundle = (name: string, spec = '') => `
apiVersion: kure.dev/v1alpha1
kind: KureBundle
metadata: {name: ${name}, namespace: platform}
spec: {nodeRef: {name: infra}${spec ? `, ${spec}` : ''}}
`;
const app = (name: string, spec: string, ns = 'platform') => `
apiVersion: kure.dev/v1alpha1
kind: KureApplication
metadata: {name: ${name}, namespace: ${ns}}
spec: {${spec}}
`;
const cm = (name: string) => `{apiVersion: v1, kind: ConfigMap, metadata: {name: ${name}}}`;

function problemsOf(...docs: string[]): string[] {
  const read = parseResources('test.yaml', docs.join('\n---\n'));
  expect(read.errors).toEqual([]);
  return assemble(read.resources).problems.map(formatProblem);
}

const base = [cluster(), node('infra', 'clusterRef: {name: prod}')];

describe('validation', () => {
  it('accepts a valid hierarchy', () => {
    const result = assemble(
      parseResources('t.yaml', [...base, bundle('a'), app('x', `bundleRef: {name: a}, manifests: [${cm('x')}]`)].join('---\n')).resources,
    );
    expect(result.problems).toEqual([]);
    expect(result.clusters).toHaveLength(1);
    expect(isRenderable(result.clusters[0]!)).toBe(true);
    expect(result.clusters[0]!.members.map((m) => `${m.kind}/${m.name}`).sort()).toEqual([
      'KureApplication/x',
      'KureBundle/a',
      'KureCluster/prod',
      'KureNode/infra',
    ]);
  });

  it('reports dangling references on each kind', () => {
    expect(
      problemsOf(
        ...base,
        node('lost', 'clusterRef: {name: nope}'),
        node('child', 'parentRef: {name: missing}'),
        `apiVersion: kure.dev/v1alpha1\nkind: KureBundle\nmetadata: {name: b, namespace: platform}\nspec: {nodeRef: {name: ghost}}`,
        app('x', `bundleRef: {name: none}, manifests: [${cm('x')}]`),
      ),
    ).toEqual([
      'KureApplication platform/x: spec.bundleRef: KureBundle platform/none not found',
      'KureBundle platform/b: spec.nodeRef.name: KureNode platform/ghost not found',
      'KureNode platform/child: spec.parentRef.name: KureNode platform/missing not found',
      'KureNode platform/lost: spec.clusterRef.name: KureCluster platform/nope not found',
    ]);
  });

  it('reports node parent cycles with the path', () => {
    const result = assemble(
      parseResources('t.yaml', [...base, node('a', 'parentRef: {name: b}'), node('b', 'parentRef: {name: a}')].join('---\n')).resources,
    );
    expect(result.problems.map(formatProblem)).toEqual([
      'KureNode platform/a: spec.parentRef.name: node parent cycle: a → b → a',
      'KureNode platform/b: spec.parentRef.name: node parent cycle: a → b → a',
    ]);
    expect(result.orphans).toHaveLength(2);
    expect(result.problems.every((p) => p.reason === 'DependencyCycle')).toBe(true);
  });

  it('reports dependsOn cycles with the cycle path, and self-dependencies', () => {
    expect(
      problemsOf(
        ...base,
        bundle('a', 'dependsOn: [{name: b}]'),
        bundle('b', 'dependsOn: [{name: c}]'),
        bundle('c', 'dependsOn: [{name: a}]'),
        bundle('d', 'dependsOn: [{name: d}]'),
      ),
    ).toEqual([
      'KureBundle platform/a: spec.dependsOn[0].name: dependency cycle: a → b → c → a',
      'KureBundle platform/b: spec.dependsOn[0].name: dependency cycle: a → b → c → a',
      'KureBundle platform/c: spec.dependsOn[0].name: dependency cycle: a → b → c → a',
      'KureBundle platform/d: spec.dependsOn[0].name: a bundle cannot depend on itself',
    ]);
  });

  it('reports dependencies on missing bundles and on bundles of another cluster', () => {
    const other = `
apiVersion: kure.dev/v1alpha1
kind: KureCluster
metadata: {name: dev, namespace: platform}
spec: {gitops: {engine: flux}, repository: {url: https://git.example.com/dev.git}}`;
    expect(
      problemsOf(
        ...base,
        other,
        node('devnode', 'clusterRef: {name: dev}'),
        `apiVersion: kure.dev/v1alpha1\nkind: KureBundle\nmetadata: {name: foreign, namespace: platform}\nspec: {nodeRef: {name: devnode}}`,
        bundle('a', 'dependsOn: [{name: foreign}, {name: nothing}]'),
      ),
    ).toEqual([
      'KureBundle platform/a: spec.dependsOn[0].name: KureBundle platform/foreign belongs to cluster platform/dev, not platform/prod; dependencies stay within one cluster',
      'KureBundle platform/a: spec.dependsOn[1].name: KureBundle platform/nothing not found',
    ]);
  });

  it('rejects names that are not DNS-1123 labels, in metadata and references', () => {
    expect(
      problemsOf(
        ...base,
        bundle('Bad_Name'),
        app('x', `bundleRef: {name: ../etc}, manifests: [${cm('x')}]`),
      ),
    ).toEqual([
      'KureApplication platform/x: spec.bundleRef.name: must be a DNS-1123 label: lower case letters, digits and \'-\', starting and ending with a letter or digit (got "../etc")',
      "KureBundle platform/Bad_Name: metadata.name: must be a DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter or digit",
    ]);
  });

  it.each([
    ['../outside', 'must stay inside the repository (no ".." segments)'],
    ['/abs', 'must relative to the repository root'.replace('must', 'must be')],
    ['a/../../b', 'must stay inside the repository (no ".." segments)'],
    ['.git/hooks', 'must not point into ".git"'],
  ])('rejects repository.path %s', (path, message) => {
    const [p] = problemsOf(cluster(`, path: "${path}"`));
    expect(p).toContain(`KureCluster platform/prod: spec.repository.path: `);
    // The schema pattern catches some forms first; either way the message names the field.
    expect(p!.includes(message) || p!.includes('must match')).toBe(true);
  });

  it('normalises ./ and trailing slashes in repository.path', () => {
    const result = assemble(parseResources('t.yaml', cluster(', path: ./fleet/prod/')).resources);
    expect(result.problems).toEqual([]);
    expect(result.clusters[0]!.model.repository.path).toBe('fleet/prod');
  });

  it('rejects two applications producing the same object', () => {
    expect(
      problemsOf(
        ...base,
        bundle('a'),
        bundle('b'),
        app('x', `bundleRef: {name: a}, manifests: [${cm('same')}]`),
        app('y', `bundleRef: {name: b}, manifests: [${cm('same')}]`),
      ),
    ).toEqual([
      'KureApplication platform/y: spec.manifests[0]: ConfigMap same is also produced by KureApplication platform/x; one object can have one owner',
    ]);
  });

  it('allows the same object name in different target namespaces', () => {
    expect(
      problemsOf(
        ...base,
        bundle('a', 'targetNamespace: one'),
        bundle('b', 'targetNamespace: two'),
        app('x', `bundleRef: {name: a}, manifests: [${cm('same')}]`),
        app('y', `bundleRef: {name: b}, manifests: [${cm('same')}]`),
      ),
    ).toEqual([]);
  });

  it('follows Flux semantics for namespaces: targetNamespace overrides the objects own', () => {
    const nsCm = '{apiVersion: v1, kind: ConfigMap, metadata: {name: same, namespace: elsewhere}}';
    const docs = [
      bundle('a', 'targetNamespace: one'),
      bundle('b', 'targetNamespace: one'),
      app('x', `bundleRef: {name: a}, manifests: [${cm('same')}]`),
      app('y', `bundleRef: {name: b}, manifests: [${nsCm}]`),
    ];
    expect(problemsOf(...base, ...docs)).toEqual([
      'KureApplication platform/y: spec.manifests[0]: ConfigMap one/same is also produced by KureApplication platform/x; one object can have one owner',
    ]);
    // Argo CD only fills in missing namespaces, so there the two objects differ.
    expect(problemsOf(cluster().replace('engine: flux', 'engine: argocd'), base[1]!, ...docs)).toEqual([]);
  });

  it('rejects two Helm releases of the same name in the Flux namespace', () => {
    const helm = (ns: string) => `helm: {chart: podinfo, repository: {url: "https://charts.example.com"}, releaseName: web, namespace: ${ns}}`;
    expect(problemsOf(...base, bundle('a'), bundle('b'), app('x', `bundleRef: {name: a}, ${helm('one')}`), app('y', `bundleRef: {name: b}, ${helm('two')}`))).toEqual([
      'KureApplication platform/y: spec.helm.releaseName: HelmRelease flux-system/web is also produced by KureApplication platform/x; one object can have one owner',
    ]);
  });

  it('rejects Flux bootstrap with a non-Git source', () => {
    expect(problemsOf(cluster().replace('engine: flux', 'engine: flux, bootstrap: {enabled: true}, flux: {sourceRef: {kind: OCIRepository, name: fleet}}'))).toEqual([
      'KureCluster platform/prod: spec.gitops.bootstrap.enabled: bootstrap writes a GitRepository for this repository, but spec.gitops.flux.sourceRef is a OCIRepository; use GitRepository or turn bootstrap off',
    ]);
  });

  it('rejects duplicate Kure resources in the input', () => {
    expect(problemsOf(...base, bundle('a'), bundle('a'))).toEqual([
      'KureBundle platform/a: metadata.name: defined more than once (KureBundle platform/a)',
    ]);
  });

  it('rejects a cross-namespace attachment the bundle does not allow, and keeps the rest renderable', () => {
    const docs = [
      ...base,
      bundle('shared', 'allowedNamespaces: [team-a], targetNamespace: team-a'),
      app('ok', `bundleRef: {name: shared, namespace: platform}, manifests: [${cm('ok')}]`, 'team-a'),
      app('sneaky', `bundleRef: {name: shared, namespace: platform}, manifests: [${cm('evil')}]`, 'team-b'),
    ];
    const result = assemble(parseResources('t.yaml', docs.join('---\n')).resources);
    expect(result.problems.map(formatProblem)).toEqual([
      'KureApplication team-b/sneaky: spec.bundleRef.namespace: KureBundle platform/shared does not admit applications from namespace team-b (see its spec.allowedNamespaces)',
    ]);
    const [c] = result.clusters;
    expect(c!.problems.map((p) => p.reason)).toEqual(['NotAllowed']);
    expect(isRenderable(c!)).toBe(true);
    const apps = c!.model.nodes[0]!.bundles[0]!.applications.map((a) => `${a.namespace}/${a.name}`);
    expect(apps).toEqual(['team-a/ok']);
  });

  it('rejects malformed and out-of-range durations', () => {
    expect(problemsOf(...base, bundle('a', 'interval: 10 minutes, timeout: 48h, retryInterval: 0s'))).toEqual([
      'KureBundle platform/a: spec.interval: must be a duration such as 30s, 10m or 1h30m (got "10 minutes")',
    ]);
    expect(problemsOf(...base, bundle('a', 'timeout: 48h, retryInterval: 500ms'))).toEqual([
      'KureBundle platform/a: spec.retryInterval: must be between 1s and 24h (got "500ms")',
      'KureBundle platform/a: spec.timeout: must be between 1s and 24h (got "48h")',
    ]);
  });

  it('rejects an unknown engine', () => {
    expect(problemsOf(cluster().replace('engine: flux', 'engine: jenkins'))).toEqual([
      'KureCluster platform/prod: spec.gitops.engine: must be one of: flux, argocd (got "jenkins")',
    ]);
  });

  it('rejects an application with none or several of manifests/helm/workload', () => {
    expect(
      problemsOf(
        ...base,
        bundle('a'),
        app('none', 'bundleRef: {name: a}'),
        app('two', `bundleRef: {name: a}, manifests: [${cm('t')}], workload: {image: nginx}`),
      ),
    ).toEqual([
      'KureApplication platform/none: spec: set exactly one of manifests, helm and workload (none is set)',
      'KureApplication platform/two: spec: set exactly one of manifests, helm and workload (got manifests, workload)',
    ]);
  });

  it('rejects unknown fields instead of ignoring typos', () => {
    expect(problemsOf(...base, bundle('a', 'dependson: [{name: b}]'))).toEqual([
      'KureBundle platform/a: spec.dependson: unknown field',
    ]);
  });

  it('requires exactly one of clusterRef and parentRef', () => {
    expect(problemsOf(cluster(), node('n', 'clusterRef: {name: prod}, parentRef: {name: x}'))).toContain(
      'KureNode platform/n: spec: set exactly one of clusterRef and parentRef',
    );
    expect(problemsOf(cluster(), node('n', ''))).toContain('KureNode platform/n: spec: set exactly one of clusterRef and parentRef');
  });

  it('checks manifests for apiVersion, kind and metadata.name', () => {
    expect(problemsOf(...base, bundle('a'), app('x', 'bundleRef: {name: a}, manifests: [{kind: ConfigMap, metadata: {}}]'))).toEqual([
      'KureApplication platform/x: spec.manifests[0].apiVersion: is required',
      'KureApplication platform/x: spec.manifests[0].metadata.name: is required',
    ]);
  });

  describe('node sources', () => {
    const sourced = (source: string) => node('ext', `clusterRef: {name: prod}, source: {${source}}`);
    const extBundle = (name: string, spec: string) =>
      `apiVersion: kure.dev/v1alpha1\nkind: KureBundle\nmetadata: {name: ${name}, namespace: platform}\nspec: {nodeRef: {name: ext}${spec}}`;

    it('requires spec.path on bundles below a source and forbids applications there', () => {
      expect(
        problemsOf(cluster(), sourced('kind: OCIRepository, url: "oci://ghcr.io/x/y", ref: {tag: v1}'), extBundle('b', ''), app('x', `bundleRef: {name: b}, manifests: [${cm('x')}]`)),
      ).toEqual([
        'KureApplication platform/x: spec.bundleRef: KureBundle platform/b takes its content from the source of node ext and cannot carry applications',
        'KureBundle platform/b: spec.path: is required: node ext has a source, so the bundle names a directory inside it',
      ]);
    });

    it('forbids spec.path on bundles without a source', () => {
      expect(problemsOf(...base, bundle('a', 'path: deploy'))).toEqual([
        'KureBundle platform/a: spec.path: is only allowed under a node with a source (the content comes from Kure applications otherwise)',
      ]);
    });

    it('checks urls and refs per source kind', () => {
      expect(problemsOf(cluster(), sourced('kind: OCIRepository, url: "https://x", ref: {branch: main}'))).toEqual([
        'KureNode platform/ext: spec.source.ref.branch: an OCIRepository has no branches; use tag, semver or commit (digest)',
        'KureNode platform/ext: spec.source.url: an OCIRepository url must start with oci://',
      ]);
      expect(problemsOf(cluster(), sourced('kind: Bucket, url: "s3://b", ref: {tag: v1}'))).toEqual([
        'KureNode platform/ext: spec.source.ref: a Bucket source takes no ref',
      ]);
    });

    it('rejects a Bucket source for an Argo CD cluster', () => {
      expect(
        problemsOf(cluster().replace('engine: flux', 'engine: argocd'), sourced('kind: Bucket, url: "s3://b"'), extBundle('b', ', path: x')),
      ).toEqual(['KureNode platform/ext: spec.source.kind: Argo CD cannot read from a Bucket source; use GitRepository or OCIRepository']);
    });
  });

  it('rejects clusters whose paths overlap in one repository and branch', () => {
    const second = cluster(', path: clusters/prod/sub').replace('name: prod,', 'name: other,');
    expect(problemsOf(cluster(', path: clusters/prod'), second)).toEqual([
      'KureCluster platform/other: spec.repository.path: overlaps with KureCluster platform/prod (clusters/prod) in the same repository and branch',
      'KureCluster platform/prod: spec.repository.path: overlaps with KureCluster platform/other (clusters/prod/sub) in the same repository and branch',
    ]);
  });

  it('rejects a bundle named like a bootstrap object', () => {
    expect(problemsOf(cluster().replace('engine: flux', 'engine: flux, bootstrap: {enabled: true}'), base[1]!, bundle('flux-system'))).toEqual([
      'KureBundle platform/flux-system: metadata.name: collides with the bootstrap object flux-system of cluster prod; rename the bundle',
    ]);
    // Each engine names its own: Argo CD's root Application is named after the cluster.
    expect(problemsOf(cluster().replace('engine: flux', 'engine: argocd, bootstrap: {enabled: true}'), base[1]!, bundle('prod'), bundle('flux-system'))).toEqual([
      'KureBundle platform/prod: metadata.name: collides with the bootstrap object prod of cluster prod; rename the bundle',
    ]);
  });

  it('applies defaults and defaults wait to true for bundles others depend on', () => {
    const result = assemble(parseResources('t.yaml', [...base, bundle('a'), bundle('b', 'dependsOn: [{name: a}]')].join('---\n')).resources);
    const model = result.clusters[0]!.model;
    expect(model.repository).toEqual({
      url: 'https://git.example.com/fleet.git',
      branch: 'main',
      path: 'clusters/prod',
      author: { name: 'Kure', email: 'kure@localhost' },
    });
    expect(model.flux).toEqual({ namespace: 'flux-system', sourceRef: { kind: 'GitRepository', name: 'flux-system' } });
    const [a, b] = model.nodes[0]!.bundles;
    expect([a!.wait, b!.wait]).toEqual([true, false]);
    expect([a!.interval, a!.prune, a!.suspend]).toEqual(['10m', true, false]);
  });

  it('gives maps a canonical key order, as the API server stores them', () => {
    const spec = (data: string) => `bundleRef: {name: a}, manifests: [{kind: ConfigMap, apiVersion: v1, metadata: {name: x}, data: ${data}}]`;
    const model = (data: string) =>
      assemble(parseResources('t.yaml', [...base, bundle('a'), app('x', spec(data))].join('---\n')).resources).clusters[0]!.model;
    const content = (data: string) => model(data).nodes[0]!.bundles[0]!.applications[0]!.content;
    expect(content('{b: "2", a: "1"}')).toEqual(content('{a: "1", b: "2"}'));
    expect(JSON.stringify(content('{b: "2", a: "1"}'))).toBe(JSON.stringify(content('{a: "1", b: "2"}')));
  });

  it('is independent of input order', () => {
    const docs = [...base, bundle('a'), bundle('b', 'dependsOn: [{name: a}]'), app('x', `bundleRef: {name: a}, manifests: [${cm('x')}]`)];
    const forward = assemble(parseResources('t.yaml', docs.join('---\n')).resources);
    const backward = assemble(parseResources('t.yaml', [...docs].reverse().join('---\n')).resources);
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
  });
});
