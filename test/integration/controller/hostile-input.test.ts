// Hostile input through the API server: what the real API server accepts and the controller must
// then survive. A KureApplication whose manifest nests 5,000 levels deep (the API server takes it),
// next to a healthy application of the same cluster. Before the depth limit, key sorting overflowed
// the stack on every reconcile of the cluster: no status on any member, retried forever. Now the
// object is refused by name and field, the controller stays ready, and once it is fixed the cluster
// renders and the healthy application is committed.
import type { Manager } from '../../../src/controller/manager.js';
import type { GitServer } from '../../support/git-server.js';
import { kubeRequest } from '../../support/kube.js';
import { MAX_DEPTH, MAX_OBJECT_BYTES } from '../../../src/model/limits.js';
import {
  apply,
  applyAll,
  commitCount,
  configMapApp,
  createGitSecret,
  installCrds,
  lsTree,
  newNamespace,
  ready,
  smallCluster,
  startGit,
  startTestManager,
  waitFor,
  waitReady,
} from './harness.js';

let git: GitServer;
const managers: Manager[] = [];
beforeAll(async () => {
  await installCrds();
  git = await startGit();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});
afterAll(async () => {
  await git?.stop();
});


describe('hostile input through the API server', () => {
  it('a manifest nested 5,000 levels deep: refused by name and field (was a stack overflow that wedged its cluster); fixed, the cluster renders', async () => {
    const ns = await newNamespace('kh');
    git.createRepo('hostile');
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('hostile')), configMapApp(ns, 'good', 'web', { v: '1' })]);
    // Built as text: JSON.stringify (and structuredClone) of 5,000 levels overflow the test's own stack.
    const depth = 5000;
    const spec = `${'{"n":'.repeat(depth)}{"leaf":"x"}${'}'.repeat(depth)}`;
    const deep = `{"apiVersion":"kure.dev/v1alpha1","kind":"KureApplication","metadata":{"name":"deep","namespace":"${ns}"},"spec":{"bundleRef":{"name":"web"},"manifests":[{"apiVersion":"example.com/v1","kind":"Deep","metadata":{"name":"deep"},"spec":${spec}}]}}`;
    let accepted = true;
    try {
      await kubeRequest('PATCH', `/apis/kure.dev/v1alpha1/namespaces/${ns}/kureapplications/deep?fieldManager=kure-tests&force=true`, deep, { contentType: 'application/apply-patch+yaml' });
    } catch (err) {
      accepted = false;
      process.stderr.write(`hostile-input: the API server refused a ${depth}-level object: ${String(err).slice(0, 300)}\n`);
    }
    const m = await startTestManager([ns]);
    managers.push(m);
    const outcome = await waitFor(
      'a verdict on the deep application (or the good one committed when the API server refused it)',
      async () => {
        const d = accepted ? (await ready('KureApplication', ns, 'deep')).ready : { status: 'n/a', reason: 'refused by the API server', message: '' };
        const g = (await ready('KureApplication', ns, 'good')).ready;
        return d && g && g.reason !== undefined ? { d, g } : undefined;
      },
      60_000,
      250,
    );
    process.stderr.write(`hostile-input: deep → ${JSON.stringify(outcome.d).slice(0, 400)}; good → ${JSON.stringify(outcome.g).slice(0, 200)}\n`);
    expect(m.ready()).toBe(true);
    if (accepted) {
      expect(outcome.d).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
      // The path cut short, the limit named, and where its bundle's state is now (held back).
      expect(outcome.d.message).toMatch(new RegExp(`^spec\\.manifests\\[0\\]\\.spec\\.n\\.n\\S*: is nested deeper than ${MAX_DEPTH} levels \\(the input limit\\); the resource is refused(; [^;]+)?$`));
      expect(outcome.d.message.length).toBeLessThan(500);
    }
    if (accepted) {
      // Failure stays where it starts: the deep application's bundle is held back (Git held nothing
      // of it: only its empty place is pushed), its other application says so.
      expect(outcome.g).toMatchObject({ status: 'False', reason: 'HeldBack' });
      await waitFor('the held-back layout pushed', () => commitCount(git, 'hostile') === 1, 60_000);
      expect(lsTree(git, 'hostile', 'clusters/prod').some((f) => f.includes('good'))).toBe(false);
      // The deep object fixed: the bundle renders, the healthy application is committed.
      await apply(configMapApp(ns, 'deep', 'web', { v: 'flat now' }));
    }
    await waitReady('KureApplication', ns, 'good', { status: 'True', reason: 'Rendered' }, 60_000);
    expect(commitCount(git, 'hostile')).toBe(accepted ? 2 : 1);
    expect(lsTree(git, 'hostile', 'clusters/prod').some((f) => f.includes('good'))).toBe(true);
    const commits = commitCount(git, 'hostile');
    await apply(configMapApp(ns, 'good', 'web', { v: '2' }));
    await waitFor('a later change still committed', () => commitCount(git, 'hostile') === commits + 1, 60_000);
  }, 180_000);

  it('an object larger than the documented limit (MAX_OBJECT_BYTES, 1.5 MiB) never reaches the controller: the API server refuses it, saying why', async () => {
    const ns = await newNamespace('kh');
    const big = 'x'.repeat(MAX_OBJECT_BYTES + 1024);
    const obj = { apiVersion: 'kure.dev/v1alpha1', kind: 'KureApplication', metadata: { name: 'big', namespace: ns }, spec: { bundleRef: { name: 'web' }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { big } }] } };
    const err = await kubeRequest('POST', `/apis/kure.dev/v1alpha1/namespaces/${ns}/kureapplications`, obj).then(
      () => undefined,
      (e: unknown) => e as { status?: number; message?: string },
    );
    expect(err).toBeDefined();
    expect(String(err?.status)).toMatch(/^(413|422|500)$/);
    expect(String(err?.message ?? err)).toMatch(/too large|exceeds|limit/i);
  });
});
