// The controller against the real API server and a real Git server: commits, idempotence,
// invalid input, deletion policies, concurrent pushes by others, Git outages.
import type { KureResource } from '../../../src/api/schema.js';
import { assemble } from '../../../src/model/assemble.js';
import { render } from '../../../src/render/index.js';
import type { Manager } from '../../../src/controller/manager.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gitCli, gitCliAsync, seedCommit, type GitServer } from '../../support/git-server.js';
import {
  apply,
  applyAll,
  changedFiles,
  commitCount,
  configMapApp,
  createGitSecret,
  deleteKure,
  examples,
  getKure,
  head,
  installCrds,
  kureObject,
  lsTree,
  newNamespace,
  ready,
  show,
  smallCluster,
  startGit,
  startTestManager,
  waitFor,
  waitReady,
} from './harness.js';
import { kubeRequest } from '../../support/kube.js';

let git: GitServer;
const managers: Manager[] = [];

beforeAll(async () => {
  await installCrds();
  git = await startGit();
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await git?.setDown(false);
});

afterAll(async () => {
  await git?.stop();
});

async function start(namespaces: string[], opts: Parameters<typeof startTestManager>[1] = {}) {
  const m = await startTestManager(namespaces, opts);
  managers.push(m);
  return m;
}

/** Resolves once the queue has been idle (nothing waiting or in flight) for `quietMs`. */
async function settled(m: Manager, quietMs = 1000, timeoutMs = 60_000) {
  let since = Date.now();
  await waitFor(
    'the controller to go idle',
    () => {
      if (m.queue.depth() > 0 || m.queue.inFlight() > 0) since = Date.now();
      return Date.now() - since >= quietMs;
    },
    timeoutMs,
    50,
  );
}

describe('kure controller', () => {
  it('renders the examples into one commit per cluster with exactly the expected tree, then stays quiet', async () => {
    const ns = { platform: await newNamespace('kp'), staging: await newNamespace('ks'), teamA: await newNamespace('kt') };
    git.createRepo('examples', { files: { 'README.md': 'fleet\n' } });
    const objects = examples(ns, git.url('examples'));
    await createGitSecret(ns.platform);
    await createGitSecret(ns.staging);
    await applyAll(objects);
    const m = await start([ns.platform, ns.staging, ns.teamA]);

    const clusters = objects.filter((o) => o.kind === 'KureCluster');
    for (const c of clusters) await waitReady('KureCluster', c.metadata.namespace!, c.metadata.name, { status: 'True', reason: 'Rendered' }, 60_000);
    await settled(m);

    // What `kure render` makes of the same resources read from the files is exactly the committed
    // tree, byte for byte: the CLI and the controller share one core (and one canonical key order).
    const result = assemble(objects);
    const expected: string[] = ['README.md'];
    for (const c of result.clusters) {
      const p = c.model.repository.path;
      for (const [file, content] of render(c.model)) {
        expected.push(`${p}/${file}`);
        expect(show(git, 'examples', `${p}/${file}`)).toBe(content);
      }
    }
    expect(lsTree(git, 'examples')).toEqual(expected.sort());
    expect(commitCount(git, 'examples')).toBe(1 + clusters.length);
    expect(show(git, 'examples', 'README.md')).toBe('fleet\n');

    // Every object is Ready; the cross-namespace application too.
    for (const o of objects) {
      const { ready: r, obj } = await ready(o.kind, o.metadata.namespace!, o.metadata.name);
      expect({ kind: o.kind, name: o.metadata.name, status: r?.status, reason: r?.reason }).toEqual({ kind: o.kind, name: o.metadata.name, status: 'True', reason: 'Rendered' });
      expect(obj?.status?.observedGeneration).toBe(obj?.metadata.generation);
    }
    const prod = await getKure('KureCluster', ns.platform, 'production');
    expect(prod?.status).toMatchObject({ lastCommit: { sha: expect.stringMatching(/^[0-9a-f]{40}$/), message: expect.stringMatching(/^kure: update /) } });
    expect(prod?.metadata.finalizers).toContain('kure.dev/finalizer');

    // A resync with nothing new: no commit, no status write.
    const before = head(git, 'examples');
    const rv = (await getKure('KureApplication', ns.platform, 'frontend'))?.metadata.resourceVersion;
    m.resyncAll();
    await settled(m);
    expect(head(git, 'examples')).toBe(before);
    expect((await getKure('KureApplication', ns.platform, 'frontend'))?.metadata.resourceVersion).toBe(rv);

    // Metrics tell the same story.
    const text = await (await fetch(`http://${m.metricsAddress}/metrics`)).text();
    expect(text).toMatch(/^kure_git_commits_total 2$/m);
    expect(text).toMatch(/kure_reconcile_total\{result="success"\} \d+/);
    expect((await fetch(`http://${m.metricsAddress}/readyz`)).status).toBe(200);
    expect((await fetch(`http://${m.metricsAddress}/healthz`)).status).toBe(200);
  });

  it('editing one application makes one commit that touches only its bundle', async () => {
    const ns = await newNamespace();
    git.createRepo('edit');
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('edit')), kureObject('KureBundle', ns, 'other', { nodeRef: { name: 'apps' } })]);
    await applyAll([configMapApp(ns, 'one', 'web', { v: '1' }), configMapApp(ns, 'two', 'web', { v: '1' }), configMapApp(ns, 'three', 'other', { v: '1' })]);
    const m = await start([ns]);
    await waitReady('KureCluster', ns, 'prod', { reason: 'Rendered' });
    await settled(m);
    const commits = commitCount(git, 'edit');
    const tree = lsTree(git, 'edit');

    await apply(configMapApp(ns, 'one', 'web', { v: '2' }));
    await waitFor('a new commit', () => commitCount(git, 'edit') > commits);
    await settled(m);
    expect(commitCount(git, 'edit')).toBe(commits + 1);
    const changed = changedFiles(git, 'edit');
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((f) => f.startsWith('clusters/prod/') && f.includes('/web/'))).toBe(true);
    expect(lsTree(git, 'edit')).toEqual(tree);
    await waitReady('KureApplication', ns, 'one', { status: 'True', reason: 'Rendered' });
    // Provenance, as `git log` reads it: the trailers name the application and its generation.
    const gen = (await getKure('KureApplication', ns, 'one'))?.metadata.generation;
    expect(gitCli(['--git-dir', git.gitdir('edit'), 'log', '-1', '--format=%s', 'main']).trim()).toBe(`kure: update ${ns}/prod: KureApplication ${ns}/one (1 file)`);
    expect(gitCli(['--git-dir', git.gitdir('edit'), 'log', '-1', '--format=%(trailers:key=Kure-Cluster,valueonly)%(trailers:key=Kure-Changed,valueonly)', 'main']).trim().split('\n')).toEqual([
      `${ns}/prod`,
      `KureApplication ${ns}/one generation ${gen}`,
    ]);
  });

  it('invalid input: precise conditions on the culprits, which are held back; the rest is pushed; fixing it pushes them', async () => {
    const ns = await newNamespace();
    git.createRepo('invalid');
    await createGitSecret(ns);
    await applyAll([
      ...smallCluster(ns, git.url('invalid')),
      configMapApp(ns, 'good', 'web', { a: '1' }),
      kureObject('KureBundle', ns, 'cyc-a', { nodeRef: { name: 'apps' }, dependsOn: [{ name: 'cyc-b' }] }),
      kureObject('KureBundle', ns, 'cyc-b', { nodeRef: { name: 'apps' }, dependsOn: [{ name: 'cyc-a' }] }),
      configMapApp(ns, 'lost', 'no-such-bundle', { a: '1' }),
    ]);
    await start([ns]);
    // Failure stays where it starts: the cycle's bundles are held back (Git held nothing of them:
    // their places only, empty and without dependsOn), the rest is pushed.
    const c = await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Degraded' });
    expect(c.message).toContain(`KureBundle ${ns}/cyc-a`);
    await waitReady('KureBundle', ns, 'cyc-a', { status: 'False', reason: 'DependencyCycle' });
    await waitReady('KureApplication', ns, 'good', { status: 'True', reason: 'Rendered' });
    const lost = await waitReady('KureApplication', ns, 'lost', { status: 'False', reason: 'NotFound' });
    expect(lost.message).toContain('no-such-bundle');
    expect(commitCount(git, 'invalid')).toBe(1);
    expect(show(git, 'invalid', 'clusters/prod/nodes/apps/web/good.yaml')).toContain('name: good');
    expect(show(git, 'invalid', 'clusters/prod/flux/kustomizations/cyc-a.yaml')).not.toContain('dependsOn');
    // Warning Events (events.k8s.io/v1) on the culprit and on the cluster say so.
    const events = await waitFor('the Warning events', async () => {
      const { body } = await kubeRequest<{ items: { type: string; reason: string; note: string; regarding: { name: string } }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
      const onBundle = body.items.find((e) => e.type === 'Warning' && e.reason === 'DependencyCycle' && e.regarding.name === 'cyc-a');
      const onCluster = body.items.find((e) => e.type === 'Warning' && e.reason === 'Degraded' && e.regarding.name === 'prod');
      return onBundle && onCluster && { onBundle, onCluster };
    });
    expect(events.onBundle.note).toContain('cyc-a');
    expect(events.onCluster.note).toContain(`KureBundle ${ns}/cyc-a`);

    await apply(kureObject('KureBundle', ns, 'cyc-b', { nodeRef: { name: 'apps' } }));
    await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' });
    await waitReady('KureBundle', ns, 'cyc-a', { status: 'True', reason: 'Rendered' });
    await waitFor('cyc-a depends on cyc-b in Git', () => show(git, 'invalid', 'clusters/prod/flux/kustomizations/cyc-a.yaml').includes('cyc-b'));
  });

  it('deletion: Delete removes the path in one commit, Retain leaves it; finalizers are released', async () => {
    const ns = await newNamespace();
    git.createRepo('deletion', { files: { 'keep/me.txt': 'x\n' } });
    await createGitSecret(ns);
    const del = smallCluster(ns, git.url('deletion'), { name: 'gone', deletionPolicy: 'Delete' });
    const ret = smallCluster(ns, git.url('deletion'), { name: 'kept', deletionPolicy: 'Retain' }).map((o) =>
      o.kind === 'KureNode' ? kureObject('KureNode', ns, 'apps2', { clusterRef: { name: 'kept' } }) : o.kind === 'KureBundle' ? kureObject('KureBundle', ns, 'web2', { nodeRef: { name: 'apps2' } }) : o,
    );
    await applyAll([...del, ...ret, configMapApp(ns, 'a', 'web', { a: '1' }), configMapApp(ns, 'b', 'web2', { b: '1' })]);
    const m = await start([ns]);
    await waitReady('KureCluster', ns, 'gone', { reason: 'Rendered' });
    await waitReady('KureCluster', ns, 'kept', { reason: 'Rendered' });
    await settled(m);
    expect(lsTree(git, 'deletion', 'clusters/gone').length).toBeGreaterThan(0);
    const commits = commitCount(git, 'deletion');

    await deleteKure('KureCluster', ns, 'gone');
    await waitFor('cluster gone', async () => (await getKure('KureCluster', ns, 'gone')) === undefined);
    expect(lsTree(git, 'deletion', 'clusters/gone')).toEqual([]);
    expect(commitCount(git, 'deletion')).toBe(commits + 1);
    expect(lsTree(git, 'deletion', 'clusters/kept').length).toBeGreaterThan(0);
    expect(show(git, 'deletion', 'keep/me.txt')).toBe('x\n');

    await deleteKure('KureCluster', ns, 'kept');
    await waitFor('cluster kept deleted', async () => (await getKure('KureCluster', ns, 'kept')) === undefined);
    await settled(m);
    expect(commitCount(git, 'deletion')).toBe(commits + 1);
    expect(lsTree(git, 'deletion', 'clusters/kept').length).toBeGreaterThan(0);
    // Its members now reach no cluster.
    await waitReady('KureApplication', ns, 'b', { status: 'False', reason: 'NoCluster' });
  });

  it("a commit pushed by someone else meanwhile survives; hand edits under the owned path are repaired on resync", async () => {
    const ns = await newNamespace();
    git.createRepo('shared', { files: { 'README.md': 'v1\n' } });
    await createGitSecret(ns);
    await applyAll([...smallCluster(ns, git.url('shared')), configMapApp(ns, 'a', 'web', { a: '1' })]);
    const m = await start([ns]);
    await waitReady('KureCluster', ns, 'prod', { reason: 'Rendered' });
    await settled(m);
    const owned = lsTree(git, 'shared', 'clusters/prod');

    // Someone else commits outside (and inside) the owned path.
    seedCommit(git.gitdir('shared'), 'main', [['README.md', 'v2 by a human\n'], [owned[0]!, 'tampered\n']], 'human edit');
    const humanSha = head(git, 'shared');
    await apply(configMapApp(ns, 'a', 'web', { a: '2' }));
    await waitFor('a commit on top of the human one', () => head(git, 'shared') !== humanSha);
    await settled(m);
    expect(show(git, 'shared', 'README.md')).toBe('v2 by a human\n');
    expect(gitCli(['--git-dir', git.gitdir('shared'), 'merge-base', '--is-ancestor', humanSha, 'main'])).toBe('');
    // The owned file was restored by the same sync (the sink compares against the remote tree).
    expect(show(git, 'shared', owned[0]!)).not.toBe('tampered\n');

    // Drift repair by resync alone.
    seedCommit(git.gitdir('shared'), 'main', [[owned[0]!, 'tampered again\n']], 'drift');
    const drift = head(git, 'shared');
    m.resyncAll();
    await waitFor('drift repaired', () => head(git, 'shared') !== drift, 30_000);
    expect(show(git, 'shared', owned[0]!)).not.toBe('tampered again\n');
  });

  it('two controllers (one per cluster, each its own cache) and a person pushing to one branch at once: all three histories survive', async () => {
    const nsA = await newNamespace('k2a');
    const nsB = await newNamespace('k2b');
    const repo = git.createRepo('three-writers', { files: { 'README.md': 'shared\n' } });
    await createGitSecret(nsA);
    await createGitSecret(nsB);
    await applyAll([...smallCluster(nsA, git.url('three-writers'), { name: 'alpha' }), configMapApp(nsA, 'x', 'web', { v: '0' })]);
    await applyAll([...smallCluster(nsB, git.url('three-writers'), { name: 'beta' }), configMapApp(nsB, 'x', 'web', { v: '0' })]);
    const a = await start([nsA]); // each start() gets its own sink and cache directory
    const b = await start([nsB]);
    await waitReady('KureCluster', nsA, 'alpha', { reason: 'Rendered' });
    await waitReady('KureCluster', nsB, 'beta', { reason: 'Rendered' });
    await settled(a);
    await settled(b);
    const work = mkdtempSync(path.join(tmpdir(), 'kure-person-'));
    try {
      await gitCliAsync(['clone', '--quiet', git.authUrl('three-writers'), work]);
      const rounds = 5;
      const person = async () => {
        for (let i = 1; i <= rounds; i++) {
          writeFileSync(path.join(work, `person-${i}.txt`), `${i}\n`);
          gitCli(['add', '.'], { cwd: work });
          gitCli(['commit', '--quiet', '-m', `person ${i}`], { cwd: work });
          for (let tries = 0; ; tries++) {
            try {
              await gitCliAsync(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work });
              break;
            } catch (err) {
              if (tries > 30) throw err;
              await gitCliAsync(['pull', '--quiet', '--rebase', 'origin', 'main'], { cwd: work });
            }
          }
        }
      };
      const kure = async (ns: string, cluster: string) => {
        for (let i = 1; i <= rounds; i++) {
          await apply(configMapApp(ns, 'x', 'web', { v: String(i) }));
          await waitFor(`${cluster} to commit v=${i}`, () => {
            try {
              return lsTree(git, 'three-writers', `clusters/${cluster}`).some((f) => show(git, 'three-writers', f).includes(`v: "${i}"`)) || undefined;
            } catch {
              return undefined;
            }
            // Three writers racing on one branch: each of Kure's attempts (refs, fetch, push) takes up
            // to a second on a loaded machine, and one reconcile gives up after 5 rejected pushes
            // and is retried with backoff. This test is about histories, not latency: CI saw over 30 s.
          }, 120_000, 50);
        }
      };
      await Promise.all([kure(nsA, 'alpha'), kure(nsB, 'beta'), person()]);
      await settled(a);
      await settled(b);
      const subjects = gitCli(['--git-dir', repo, 'log', '--format=%s', 'main']).trim().split('\n');
      for (let i = 1; i <= rounds; i++) expect(show(git, 'three-writers', `person-${i}.txt`)).toBe(`${i}\n`);
      expect(subjects.filter((x) => x.startsWith('person ')).reverse()).toEqual(Array.from({ length: rounds }, (_, i) => `person ${i + 1}`));
      expect(subjects.filter((x) => x.startsWith(`kure: update ${nsA}/alpha`))).toHaveLength(1 + rounds);
      expect(subjects.filter((x) => x.startsWith(`kure: update ${nsB}/beta`))).toHaveLength(1 + rounds);
      expect(gitCli(['--git-dir', repo, 'rev-list', '--merges', '--count', 'main']).trim()).toBe('0');
      expect(show(git, 'three-writers', 'README.md')).toBe('shared\n');
      await waitReady('KureApplication', nsA, 'x', { status: 'True', reason: 'Rendered' });
      await waitReady('KureApplication', nsB, 'x', { status: 'True', reason: 'Rendered' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 600_000);

  it('Git server down → GitError with backoff; recovers by itself when it is back', async () => {
    const ns = await newNamespace();
    git.createRepo('outage');
    await createGitSecret(ns);
    await git.setDown(true);
    await applyAll([...smallCluster(ns, git.url('outage')), configMapApp(ns, 'a', 'web', { a: '1' })]);
    const m = await start([ns]);
    const c = await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'GitError' });
    expect(c.message).toMatch(/push to .* failed/);
    expect(c.message).not.toContain('s3cr3t');
    await waitReady('KureApplication', ns, 'a', { status: 'False', reason: 'ClusterNotReady' });
    await git.setDown(false);
    await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
    expect(commitCount(git, 'outage')).toBe(1);
    const text = await (await fetch(`http://${m.metricsAddress}/metrics`)).text();
    expect(text).toMatch(/kure_git_errors_total\{kind="[a-z]+"\} [1-9]/);
  });

  it('wrong credentials → GitError (auth); the Secret fixed → pushed', async () => {
    const ns = await newNamespace();
    git.createRepo('auth');
    await createGitSecret(ns, 'git-auth', { username: 'kure', password: 'wrong-password' });
    await applyAll([...smallCluster(ns, git.url('auth')), configMapApp(ns, 'a', 'web', { a: '1' })]);
    await start([ns]);
    const c = await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'GitError' });
    expect(c.message).not.toContain('wrong-password');
    await createGitSecret(ns);
    await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' }, 60_000);
  });

  it('suspend: nothing pushed while suspended; resuming pushes', async () => {
    const ns = await newNamespace();
    git.createRepo('suspend');
    await createGitSecret(ns);
    const objs = smallCluster(ns, git.url('suspend'));
    (objs[0] as KureResource & { spec: { suspend?: boolean } }).spec.suspend = true;
    await applyAll([...objs, configMapApp(ns, 'a', 'web', { a: '1' })]);
    await start([ns]);
    await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'Suspended' });
    expect(commitCount(git, 'suspend')).toBe(0);
    (objs[0] as KureResource & { spec: { suspend?: boolean } }).spec.suspend = false;
    await apply(objs[0]!);
    await waitReady('KureCluster', ns, 'prod', { status: 'True', reason: 'Rendered' });
    expect(commitCount(git, 'suspend')).toBe(1);
  });

  // Batching, made deterministic: the 1,000 applications are in the API server before the controller
  // starts, so everything it knows when it first renders the cluster is all of them. It must make one
  // commit holding every one of them (a commit per application, or a commit before its caches had
  // synced, fails this). How fast a burst is absorbed by a running controller is a number for the
  // benchmark (bench/fleet*), not a pass/fail here: it depends on how loaded the machine is.
  it('1,000 KureApplications present at start are all committed in one commit, byte for byte what kure render makes', async () => {
    const ns = await newNamespace();
    git.createRepo('burst', { files: { 'README.md': 'burst\n' } });
    await createGitSecret(ns);
    const cluster = smallCluster(ns, git.url('burst'));
    const apps = Array.from({ length: 1000 }, (_, i) => configMapApp(ns, `app-${String(i).padStart(4, '0')}`, 'web', { i: String(i) }));
    await applyAll([...cluster, ...apps], 32);
    const m = await start([ns], { settleMs: 500 });
    await waitReady('KureCluster', ns, 'prod', { reason: 'Rendered' }, 120_000);
    await settled(m, 1500, 120_000);
    expect(commitCount(git, 'burst')).toBe(2); // the seed and exactly one commit by Kure

    // Every one of the 1,000 names, and nothing else: the whole tree equals the CLI's render.
    const result = assemble([...cluster, ...apps]);
    expect(result.clusters).toHaveLength(1);
    const c = result.clusters[0]!;
    const expected = ['README.md'];
    const rendered = render(c.model);
    for (const [file, content] of rendered) {
      expected.push(`${c.model.repository.path}/${file}`);
      expect(show(git, 'burst', `${c.model.repository.path}/${file}`)).toBe(content);
    }
    expect(lsTree(git, 'burst')).toEqual(expected.sort());
    const committed = lsTree(git, 'burst', 'clusters/prod').map((f) => show(git, 'burst', f)).join('\n');
    const missing = apps.map((a) => a.metadata.name).filter((name) => !committed.includes(`name: ${name}\n`));
    expect(missing).toEqual([]);

    // And every application says so at its generation.
    const { body } = await kubeRequest<{ items: KureResource[] }>('GET', `/apis/kure.dev/v1alpha1/namespaces/${ns}/kureapplications`);
    expect(body.items).toHaveLength(1000);
    await waitFor(
      'all 1,000 KureApplications Ready',
      async () => {
        const { body: now } = await kubeRequest<{ items: KureResource[] }>('GET', `/apis/kure.dev/v1alpha1/namespaces/${ns}/kureapplications`);
        const notReady = now.items.filter((a) => {
          const r = a.status?.conditions?.find((x) => x.type === 'Ready');
          return !(r?.status === 'True' && r.reason === 'Rendered' && r.observedGeneration === a.metadata.generation);
        });
        if (notReady.length) process.stderr.write(`burst: ${notReady.length} of 1,000 KureApplications not Ready yet\n`);
        return notReady.length === 0;
      },
      // Members' statuses are written in the background, as fast as the API server takes them: on a
      // loaded CI machine that shares the API server with other test files, that can take minutes.
      240_000,
      5000,
    );
    expect(commitCount(git, 'burst')).toBe(2);
  }, 420_000);
});
