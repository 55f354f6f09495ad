// writeMode pullRequest through the whole controller, on the real control plane and a real Gitea:
// a change opens a pull request (the cluster says PullRequestOpen, with its number and URL), a
// second change updates the same one, the required commit status lets the auto-merge land, and the
// cluster becomes Ready at the merge commit on main. `kure reconcile`'s annotation asks for the look
// after the status is set (instead of waiting for the 30 s requeue), and its echo is checked too.
import type { Manager } from '../../../src/controller/manager.js';
import { applyAll, apply, createGitSecret, getKure, installCrds, kureObject, newNamespace, startTestManager, waitFor } from '../controller/harness.js';
import { gitCliAsync } from '../../support/git-server.js';
import { giteaAvailable, protectedFleet, startGitea, type Gitea, type GiteaUser } from '../../support/gitea.js';
import { kubeRequest } from '../../support/kube.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const required = process.env.KURE_TEST_REQUIRE_GITEA === '1' || process.env.CI === 'true';
const available = giteaAvailable();
if (!available && required) throw new Error('Gitea is not built (scripts/build-gitea.sh) but the forge tests are required');
const d = available ? describe : describe.skip;

let gitea: Gitea;
let bot: GiteaUser;
let manager: Manager | undefined;
let tmp: string;

beforeAll(async () => {
  if (!available) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-forge-ctl-'));
  await installCrds();
  gitea = await startGitea({ logFile: path.join(tmp, 'gitea.log') });
  bot = await gitea.createUser('kure-ctl-bot');
});
afterAll(async () => {
  await manager?.stop();
  if (!available) return;
  await gitea?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type ClusterStatus = { conditions?: { type: string; status: string; reason: string; message: string }[]; pullRequest?: { number?: number; url?: string; phase: string; branch: string }; lastCommit?: { sha: string }; lastHandledReconcileAt?: string };
const statusOf = async (ns: string) => (await getKure('KureCluster', ns, 'prod'))?.status as ClusterStatus | undefined;
const ready = (s: ClusterStatus | undefined) => s?.conditions?.find((c) => c.type === 'Ready');
const app = (ns: string, v: string) =>
  kureObject('KureApplication', ns, 'web', { bundleRef: { name: 'apps' }, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { v } }] });

d('writeMode pullRequest, end to end through the controller', () => {
  it('opens one pull request, updates it, merges it once the check passes, and is Ready at the merge commit', async () => {
    const ns = await newNamespace('kpr');
    const repo = 'fleet-ctl';
    await protectedFleet(gitea, bot, repo);
    const owner = gitea.admin.username;
    await createGitSecret(ns, 'git-auth', { token: bot.token });
    await applyAll([
      kureObject('KureCluster', ns, 'prod', {
        gitops: { engine: 'flux' },
        repository: {
          url: gitea.repoUrl(owner, repo),
          path: 'clusters/prod',
          secretRef: { name: 'git-auth' },
          writeMode: 'pullRequest',
          pullRequest: { forge: 'gitea', autoMerge: { method: 'merge' }, labels: [] },
        },
      }),
      kureObject('KureNode', ns, 'root', { clusterRef: { name: 'prod' } }),
      kureObject('KureBundle', ns, 'apps', { nodeRef: { name: 'root' } }),
      app(ns, '1'),
    ]);
    manager = await startTestManager([ns]);

    const opened = await waitFor('a pull request', async () => {
      const s = await statusOf(ns);
      return s?.pullRequest?.number && ready(s)?.reason === 'PullRequestOpen' ? s : undefined;
    }, 60_000);
    expect(ready(opened)).toMatchObject({ status: 'False' });
    expect(opened.pullRequest).toMatchObject({ phase: 'PullRequestOpen', branch: `kure/${ns}/prod`, url: expect.stringContaining(`/${owner}/${repo}/pulls/`) });
    const mainBefore = (await gitea.api<{ commit: { id: string } }>('GET', `/repos/${owner}/${repo}/branches/main`)).commit.id;

    // A second change before the merge: the same pull request, its branch at the new tree.
    await apply(app(ns, '2'));
    const number = opened.pullRequest!.number!;
    const head = await waitFor('the pull request updated', async () => {
      const pr = await gitea.api<{ number: number; head: { sha: string } }>('GET', `/repos/${owner}/${repo}/pulls/${number}`);
      const files = await gitea.api<{ filename: string }[]>('GET', `/repos/${owner}/${repo}/pulls/${number}/files`);
      const raw = await fetch(`${gitea.origin}/${owner}/${repo}/raw/commit/${pr.head.sha}/clusters/prod/nodes/root/apps/web.yaml`).then((r) => (r.ok ? r.text() : ''));
      return files.length > 0 && /v: "2"/.test(raw) ? pr.head.sha : undefined;
    }, 60_000);
    const prs = await gitea.api<{ number: number }[]>('GET', `/repos/${owner}/${repo}/pulls?state=all`);
    expect(prs.map((p) => p.number)).toEqual([number]);
    expect((await gitea.api<{ commit: { id: string } }>('GET', `/repos/${owner}/${repo}/branches/main`)).commit.id).toBe(mainBefore);

    // The required check passes; ask for a reconcile now, as `kure reconcile cluster prod` does.
    await gitea.api('POST', `/repos/${owner}/${repo}/statuses/${head}`, { state: 'success', context: 'ci/test' });
    const requestedAt = new Date().toISOString();
    await kubeRequest('PATCH', `/apis/kure.dev/v1alpha1/namespaces/${ns}/kureclusters/prod`, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': requestedAt } } }, { contentType: 'application/merge-patch+json' });
    const merged = await waitFor('Ready at the merge commit', async () => {
      const s = await statusOf(ns);
      return ready(s)?.status === 'True' && s?.lastHandledReconcileAt === requestedAt ? s : undefined;
    }, 90_000);
    const mainAfter = (await gitea.api<{ commit: { id: string } }>('GET', `/repos/${owner}/${repo}/branches/main`)).commit.id;
    expect(mainAfter).not.toBe(mainBefore);
    expect(ready(merged)).toMatchObject({ reason: 'Merged' });
    expect(merged.lastCommit?.sha).toBe(mainAfter);
    expect(merged.pullRequest).toMatchObject({ number, phase: 'Merged' });
    // main holds the tree, read back with the git CLI.
    const dir = fs.mkdtempSync(path.join(tmp, 'clone-'));
    await gitCliAsync(['clone', '--quiet', gitea.authUrl(gitea.admin, owner, repo), dir]);
    expect(fs.readFileSync(path.join(dir, 'clusters/prod/nodes/root/apps/web.yaml'), 'utf8')).toMatch(/v: "2"/);
  }, 240_000);
});
