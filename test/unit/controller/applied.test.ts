import { appliedCondition, appliedSummary, revisionSha, type AppliedInput, type EngineObject } from '../../../src/controller/applied.js';
import { labelValue, ownerLabels, ownerOfLabels } from '../../../src/api/labels.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
// History: A <- B (B is a later commit on the same branch); C is unrelated.
const contains = (descendant: string, ancestor: string): boolean | undefined => {
  if (descendant === ancestor) return true;
  if (descendant === B && ancestor === A) return true;
  if (descendant === C || ancestor === C) return undefined;
  return false;
};

const ks = (ready: { status: string; reason: string; message: string } | undefined, revision?: string, gen = { generation: 2, observed: 2 }): EngineObject => ({
  metadata: { name: 'web', namespace: 'flux-system', generation: gen.generation },
  status: {
    observedGeneration: gen.observed,
    ...(revision ? { lastAppliedRevision: revision } : {}),
    conditions: ready ? [{ type: 'Ready', ...ready }] : [],
  },
});
const flux = (object: EngineObject | undefined, commit: string | undefined = A, extra: Partial<AppliedInput> = {}) =>
  appliedCondition({ engine: 'flux', object, commit, contains, ...extra });

describe('Applied from a Flux Kustomization', () => {
  const ok = { status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: main@sha1:${A}` };

  test('Ready at the bundle commit: True', () => {
    expect(flux(ks(ok, `main@sha1:${A}`))).toMatchObject({ type: 'Applied', status: 'True', reason: 'Applied' });
  });

  test('Ready at a later commit that holds the bundle commit (shared branch): True', () => {
    expect(flux(ks(ok, `main@sha1:${B}`))).toMatchObject({ status: 'True', reason: 'Applied' });
  });

  test('Ready at an earlier commit: False NotYetApplied', () => {
    const c = flux(ks(ok, `main@sha1:${A}`), B);
    expect(c).toMatchObject({ status: 'False', reason: 'NotYetApplied' });
    expect(c.message).toContain('does not hold bbbbbbbbbbbb');
  });

  test('ancestry unknown: Unknown AncestryUnknown', () => {
    expect(flux(ks(ok, `main@sha1:${C}`))).toMatchObject({ status: 'Unknown', reason: 'AncestryUnknown' });
  });

  test("a bundle on its own source: the revision is that repository's, Ready is what counts", () => {
    expect(flux(ks(ok, `main@sha1:${C}`), A, { external: true })).toMatchObject({ status: 'True', reason: 'Applied' });
    expect(flux(ks({ status: 'False', reason: 'ArtifactFailed', message: 'x' }, `main@sha1:${C}`), A, { external: true })).toMatchObject({ status: 'False', reason: 'ArtifactFailed' });
  });

  test("Ready=False: False with Flux's reason and message", () => {
    const c = flux(ks({ status: 'False', reason: 'DependencyNotReady', message: "dependency 'flux-system/db' is not ready" }, `main@sha1:${A}`));
    expect(c).toMatchObject({ status: 'False', reason: 'DependencyNotReady' });
    expect(c.message).toBe("Flux Kustomization flux-system/web: dependency 'flux-system/db' is not ready");
    expect(flux(ks({ status: 'False', reason: 'BuildFailed', message: 'kustomize build failed' }))).toMatchObject({ status: 'False', reason: 'BuildFailed' });
    expect(flux(ks({ status: 'False', reason: 'HealthCheckFailed', message: 'timeout' }, `main@sha1:${A}`))).toMatchObject({ reason: 'HealthCheckFailed' });
  });

  test('Ready=Unknown (reconciling): False with its reason', () => {
    expect(flux(ks({ status: 'Unknown', reason: 'Progressing', message: 'Reconciliation in progress' }))).toMatchObject({ status: 'False', reason: 'Progressing' });
  });

  test('a spec generation Flux has not observed: not applied yet', () => {
    expect(flux(ks(ok, `main@sha1:${A}`, { generation: 3, observed: 2 }))).toMatchObject({ status: 'False', reason: 'Progressing' });
  });

  test('no Ready condition, no revision yet', () => {
    expect(flux(ks(undefined))).toMatchObject({ status: 'False', reason: 'Progressing' });
    expect(flux(ks(ok))).toMatchObject({ status: 'False', reason: 'NotYetApplied' });
  });

  test('object absent: False EngineObjectNotFound; unreadable: Unknown; nothing pushed: Unknown', () => {
    expect(flux(undefined)).toMatchObject({ status: 'False', reason: 'EngineObjectNotFound' });
    expect(flux(ks(ok, A), A, { unreadable: 'CRD kustomizations.kustomize.toolkit.fluxcd.io is not installed' })).toMatchObject({
      status: 'Unknown',
      reason: 'EngineUnreadable',
      message: 'CRD kustomizations.kustomize.toolkit.fluxcd.io is not installed',
    });
    expect(appliedCondition({ engine: 'flux', object: ks(ok, A), commit: undefined, contains })).toMatchObject({ status: 'Unknown', reason: 'NotPushed' });
  });
});

describe('Applied from an Argo CD Application', () => {
  const app = (status: Record<string, unknown>): EngineObject => ({ metadata: { name: 'web', namespace: 'argocd' }, status });
  const argo = (object: EngineObject, commit = A) => appliedCondition({ engine: 'argocd', object, commit, contains });

  test('Synced and Healthy at a revision holding the commit: True', () => {
    expect(argo(app({ sync: { status: 'Synced', revision: A }, health: { status: 'Healthy' } }))).toMatchObject({ status: 'True', reason: 'Applied' });
    expect(argo(app({ sync: { status: 'Synced', revision: B }, health: { status: 'Healthy' } }))).toMatchObject({ status: 'True' });
  });

  test('Synced at an older revision: NotYetApplied; OutOfSync: its status', () => {
    expect(argo(app({ sync: { status: 'Synced', revision: A }, health: { status: 'Healthy' } }), B)).toMatchObject({ status: 'False', reason: 'NotYetApplied' });
    expect(argo(app({ sync: { status: 'OutOfSync', revision: B }, health: { status: 'Healthy' } }))).toMatchObject({ status: 'False', reason: 'OutOfSync' });
  });

  test('Synced but Degraded / Progressing: the health status is the reason', () => {
    const c = argo(app({ sync: { status: 'Synced', revision: A }, health: { status: 'Degraded', message: 'Deployment web: 0/1 ready' } }));
    expect(c).toMatchObject({ status: 'False', reason: 'Degraded' });
    expect(c.message).toContain('0/1 ready');
    expect(argo(app({ sync: { status: 'Synced', revision: A }, health: { status: 'Progressing' } }))).toMatchObject({ reason: 'Progressing' });
  });

  test("Argo CD's error conditions and failed operations", () => {
    const c = argo(app({ sync: { status: 'Unknown' }, conditions: [{ type: 'ComparisonError', message: 'app path does not exist' }] }));
    expect(c).toMatchObject({ status: 'False', reason: 'ComparisonError' });
    expect(c.message).toContain('app path does not exist');
    expect(argo(app({ sync: { status: 'OutOfSync' }, operationState: { phase: 'Failed', message: 'one or more objects failed to apply' } }))).toMatchObject({
      status: 'False',
      reason: 'SyncFailed',
    });
  });
});

test('revisionSha reads Flux and Argo CD revisions', () => {
  expect(revisionSha(`main@sha1:${A}`)).toBe(A);
  expect(revisionSha(`sha1:${A}`)).toBe(A);
  expect(revisionSha(A)).toBe(A);
  expect(revisionSha('main@sha1:xyz')).toBeUndefined();
  expect(revisionSha(undefined)).toBeUndefined();
});

test('cluster summary', () => {
  expect(appliedSummary([{ status: 'True' }, { status: 'False' }, { status: undefined }], B)).toEqual({ applied: 1, total: 3, summary: '1/3 at bbbbbbbbbbbb' });
  expect(appliedSummary([], undefined).summary).toBe('0/0');
});

test('owner labels: valid label values, read back', () => {
  const labels = ownerLabels({ cluster: { namespace: 'platform', name: 'prod' }, bundle: { namespace: 'team-a', name: 'web' } });
  expect(labels).toEqual({ 'kure.dev/cluster-namespace': 'platform', 'kure.dev/cluster': 'prod', 'kure.dev/bundle-namespace': 'team-a', 'kure.dev/bundle': 'web' });
  expect(ownerOfLabels(labels)).toEqual({ cluster: { namespace: 'platform', name: 'prod' }, bundle: { namespace: 'team-a', name: 'web' } });
  expect(ownerOfLabels({ 'kure.dev/bundle': 'web' })).toBeUndefined();
  const long = `${'x'.repeat(70)}.example`;
  const v = labelValue(long);
  expect(v.length).toBeLessThanOrEqual(63);
  expect(v).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
  expect(labelValue(long)).toBe(v);
  expect(labelValue(`${'x'.repeat(70)}.other`)).not.toBe(v);
});
