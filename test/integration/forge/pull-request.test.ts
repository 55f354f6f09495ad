// writeMode pullRequest against a real Gitea 1.26 (scripts/build-gitea.sh): a protected main that
// refuses Kure's direct push, a PR opened and updated, a required commit status that gates the
// auto-merge, a person's conflicting change on main, and a PR closed without merge. What lands is
// read back through Gitea's API and the git CLI, never through Kure's own view.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitError, GitSink, type GitTarget } from '../../../src/git/index.js';
import { ForgeError, GiteaForge, pullRequestBranch, syncClusterPullRequest, syncPullRequest, type PullRequestSpec } from '../../../src/forge/index.js';
import { gitCliAsync } from '../../support/git-server.js';
import { giteaAvailable, protectedFleet, startGitea, type Gitea, type GiteaUser } from '../../support/gitea.js';

const required = process.env.KURE_TEST_REQUIRE_GITEA === '1' || process.env.CI === 'true';
const available = giteaAvailable();
if (!available && required) throw new Error('Gitea is not built (scripts/build-gitea.sh) but the forge tests are required');
const d = available ? describe : describe.skip;

let gitea: Gitea;
let bot: GiteaUser;
let tmp: string;
let n = 0;

beforeAll(async () => {
  if (!available) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-forge-'));
  gitea = await startGitea({ logFile: path.join(tmp, 'gitea.log') });
  bot = await gitea.createUser('kure-bot');
});
afterAll(async () => {
  if (!available) return;
  await gitea?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function fleet(): Promise<string> {
  const name = `fleet-${++n}`;
  await protectedFleet(gitea, bot, name);
  return name;
}

function target(repo: string, branch: string): GitTarget {
  return { url: gitea.repoUrl(gitea.admin.username, repo), branch, path: 'clusters/prod', auth: { token: bot.token }, author: { name: 'Kure', email: 'kure@example.com' } };
}
const tree = (files: Record<string, string>) => new Map(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
const message = (what: string) => `kure: render default/prod (${what})\n\nKure-Cluster: default/prod\nKure-Changed: KureApplication default/web generation 2\nKure-Version: test`;

async function clone(repo: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(tmp, 'clone-'));
  await gitCliAsync(['clone', '--quiet', gitea.authUrl(gitea.admin, gitea.admin.username, repo), dir]);
  return dir;
}
const gitIn = (dir: string, ...args: string[]) => gitCliAsync(['-C', dir, ...args]);

d('writeMode pullRequest on a real Gitea', () => {
  it('protected main refuses Kure\'s direct push with a clear GitError (kind protected); nothing lands', async () => {
    const repo = await fleet();
    const before = (await gitea.api<{ commit: { id: string } }>('GET', `/repos/${gitea.admin.username}/${repo}/branches/main`)).commit.id;
    const err = await new GitSink({ cacheDir: path.join(tmp, `c-${repo}`) }).sync(target(repo, 'main'), tree({ 'a.yaml': 'a\n' }), 'kure').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).kind).toBe('protected');
    expect((err as GitError).message).toContain('Not allowed to push to protected branch main'); // Gitea's own words
    expect((err as GitError).message).not.toMatch(/ \/ error:/); // no empty "error:" lines of the hook output
    expect((err as GitError).message).toContain('writeMode: pullRequest');
    expect((err as GitError).message).not.toContain(bot.token);
    const after = (await gitea.api<{ commit: { id: string } }>('GET', `/repos/${gitea.admin.username}/${repo}/branches/main`)).commit.id;
    expect(after).toBe(before);
  });

  it('opens one PR, updates the same PR, rebuilds over a person\'s conflicting change, merges once the required status is met', async () => {
    const repo = await fleet();
    const owner = gitea.admin.username;
    const sink = new GitSink({ cacheDir: path.join(tmp, `c-${repo}`) });
    const branch = pullRequestBranch('default', 'prod');
    const forge = GiteaForge.fromCloneUrl(gitea.repoUrl(owner, repo), { token: bot.token });
    const spec: PullRequestSpec = { forge, baseBranch: 'main', autoMerge: { method: 'merge' } };
    const mainBefore = (await gitea.api<{ commit: { id: string } }>('GET', `/repos/${owner}/${repo}/branches/main`)).commit.id;

    // 1. A change opens a PR; no status yet, so the auto-merge waits with Gitea's reason.
    const one = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 1\n' }), message('one'), spec);
    expect(one.phase).toBe('PullRequestOpen');
    expect(one.pullRequest?.state).toBe('open');
    // Right after a push Gitea may still be computing mergeability ("Please try again later"); once
    // done, its reason is the missing required check. Each sync in between changes nothing.
    let reason = one.message;
    for (let i = 0; !reason.includes('Not all required status checks successful') && i < 40; i++) {
      expect(reason).toContain('waits: Please try again later');
      await new Promise((r) => setTimeout(r, 250));
      const again = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 1\n' }), message('one'), spec);
      expect(again).toMatchObject({ phase: 'PullRequestOpen', sync: { changed: false } });
      reason = again.message;
    }
    expect(reason).toContain('waits: Not all required status checks successful'); // Gitea's reason
    const pulls1 = await gitea.api<{ number: number; title: string; body: string; head: { ref: string; sha: string } }[]>('GET', `/repos/${owner}/${repo}/pulls?state=all`);
    expect(pulls1).toHaveLength(1);
    expect(pulls1[0]!.number).toBe(one.pullRequest!.number);
    expect(pulls1[0]!.head.ref).toBe(branch);
    expect(pulls1[0]!.title).toBe('kure: render default/prod (one)');
    expect(pulls1[0]!.body).toContain('Kure-Changed: KureApplication default/web generation 2');
    expect((await gitea.api<{ commit: { id: string } }>('GET', `/repos/${owner}/${repo}/branches/main`)).commit.id).toBe(mainBefore);

    // 2. A second change updates the same PR (same number, new head, new title); still one PR.
    const two = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 2\n' }), message('two'), spec);
    expect(two.phase).toBe('PullRequestOpen');
    expect(two.pullRequest!.number).toBe(one.pullRequest!.number);
    expect(two.branchSha).not.toBe(one.branchSha);
    const pulls2 = await gitea.api<{ title: string; head: { sha: string } }[]>('GET', `/repos/${owner}/${repo}/pulls?state=all`);
    expect(pulls2).toHaveLength(1);
    expect(pulls2[0]!.title).toBe('kure: render default/prod (two)');
    expect(pulls2[0]!.head.sha).toBe(two.branchSha);

    // 3. A person pushes to main (they may): a conflicting edit of Kure's file and a file of their own.
    const dir = await clone(repo);
    fs.mkdirSync(path.join(dir, 'clusters/prod'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'clusters/prod/a.yaml'), 'a: person\n');
    fs.writeFileSync(path.join(dir, 'theirs.txt'), 'mine\n');
    await gitIn(dir, 'add', '.');
    await gitIn(dir, '-c', 'user.name=Person', '-c', 'user.email=p@example.com', 'commit', '-qm', 'person: edit');
    await gitIn(dir, 'push', '-q', 'origin', 'main');
    const personSha = (await gitIn(dir, 'rev-parse', 'HEAD')).trim();

    // The same desired tree: Kure's branch is rebuilt on the new main (same PR), the person's commit kept.
    const three = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 2\n' }), message('two'), spec);
    expect(three.pullRequest!.number).toBe(one.pullRequest!.number);
    expect(three.baseSha).toBe(personSha);
    await gitIn(dir, 'fetch', '-q', 'origin', branch);
    expect((await gitIn(dir, 'rev-parse', 'FETCH_HEAD~1')).trim()).toBe(personSha);
    expect(await gitIn(dir, 'show', 'FETCH_HEAD:theirs.txt')).toBe('mine\n');
    expect(await gitIn(dir, 'show', 'FETCH_HEAD:clusters/prod/a.yaml')).toBe('a: 2\n');
    expect(three.phase).toBe('PullRequestOpen'); // the status check is still missing

    // 4. The required status on the PR head unblocks the auto-merge; the merge lands on main.
    await gitea.api('POST', `/repos/${owner}/${repo}/statuses/${three.branchSha}`, { state: 'success', context: 'ci/test', description: 'ok' });
    // Gitea computes mergeability in the background after a push ("Please try again later" until then):
    // the controller requeues; so does this loop, bounded, and every intermediate sync changes nothing.
    let four = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 2\n' }), message('two'), spec);
    const waits: string[] = [];
    for (let i = 0; four.phase !== 'Merged' && i < 40; i++) {
      waits.push(four.message);
      expect(four.phase).toBe('PullRequestOpen');
      expect(four.sync.changed).toBe(false);
      await new Promise((r) => setTimeout(r, 250));
      four = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 2\n' }), message('two'), spec);
    }
    expect({ phase: four.phase, waits }).toMatchObject({ phase: 'Merged' });
    expect(four.pullRequest).toMatchObject({ number: one.pullRequest!.number, state: 'merged' });
    await gitIn(dir, 'fetch', '-q', 'origin', 'main');
    const main = (await gitIn(dir, 'rev-parse', 'FETCH_HEAD')).trim();
    expect(four.baseSha).toBe(main);
    expect(await gitIn(dir, 'show', 'FETCH_HEAD:clusters/prod/a.yaml')).toBe('a: 2\n');
    expect(await gitIn(dir, 'show', 'FETCH_HEAD:theirs.txt')).toBe('mine\n');

    // 5. Nothing more to do: Merged, no new PR, no push.
    const five = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 2\n' }), message('two'), spec);
    expect(five.phase).toBe('Merged');
    expect(five.sync.changed).toBe(false);
    expect(await gitea.api<unknown[]>('GET', `/repos/${owner}/${repo}/pulls?state=all`)).toHaveLength(1);
  });

  it('a PR closed without merge is reported as Closed and not re-opened in a loop; a new change opens a new one', async () => {
    const repo = await fleet();
    const owner = gitea.admin.username;
    const sink = new GitSink({ cacheDir: path.join(tmp, `c-${repo}`) });
    const branch = pullRequestBranch('default', 'prod');
    const spec: PullRequestSpec = { forge: GiteaForge.fromCloneUrl(gitea.repoUrl(owner, repo), { token: bot.token }), baseBranch: 'main' };
    const one = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 1\n' }), message('one'), spec);
    expect(one.phase).toBe('PullRequestOpen');
    await gitea.api('PATCH', `/repos/${owner}/${repo}/pulls/${one.pullRequest!.number}`, { state: 'closed' });
    for (let i = 0; i < 3; i++) {
      const again = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 1\n' }), message('one'), spec);
      expect(again.phase).toBe('Closed');
      expect(again.message).toContain('closed without merge');
      expect(again.sync.changed).toBe(false);
    }
    expect(await gitea.api<unknown[]>('GET', `/repos/${owner}/${repo}/pulls?state=all`)).toHaveLength(1);
    const changed = await syncPullRequest(sink, target(repo, branch), tree({ 'a.yaml': 'a: 3\n' }), message('three'), spec);
    expect(changed.phase).toBe('PullRequestOpen');
    expect(changed.pullRequest!.number).not.toBe(one.pullRequest!.number);
  });

  it('syncClusterPullRequest (the controller\'s call) takes the spec: branch prefix, labels, reviewers; an unknown label is a clear ForgeError', async () => {
    const repo = await fleet();
    const owner = gitea.admin.username;
    await gitea.api('POST', `/repos/${owner}/${repo}/labels`, { name: 'gitops', color: '#00aabb' });
    const sink = new GitSink({ cacheDir: path.join(tmp, `c-${repo}`) });
    const repository = {
      url: gitea.repoUrl(owner, repo),
      writeMode: 'pullRequest' as const,
      pullRequest: { forge: 'gitea' as const, branchPrefix: 'bots', labels: ['gitops'], reviewers: [owner] },
    };
    const res = await syncClusterPullRequest(sink, { namespace: 'team-a', name: 'prod' }, repository, target(repo, 'main'), { token: bot.token }, tree({ 'a.yaml': 'a\n' }), message('one'));
    expect(res.branch).toBe('bots/team-a/prod');
    expect(res.phase).toBe('PullRequestOpen');
    const pr = await gitea.api<{ head: { ref: string }; base: { ref: string }; labels: { name: string }[]; requested_reviewers: { login: string }[] }>('GET', `/repos/${owner}/${repo}/pulls/${res.pullRequest!.number}`);
    expect(pr.head.ref).toBe('bots/team-a/prod');
    expect(pr.base.ref).toBe('main');
    expect(pr.labels.map((l) => l.name)).toEqual(['gitops']);
    expect(pr.requested_reviewers.map((r) => r.login)).toEqual([owner]);
    const err = await syncClusterPullRequest(
      sink,
      { namespace: 'team-b', name: 'prod' },
      { ...repository, pullRequest: { ...repository.pullRequest, labels: ['nope'] } },
      target(repo, 'main'),
      { token: bot.token },
      tree({ 'a.yaml': 'b\n' }),
      message('two'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgeError);
    expect((err as ForgeError).message).toContain('label(s) nope do not exist (spec.repository.pullRequest.labels)');
  });

  it('API errors are ForgeErrors with Gitea\'s message and never the token', async () => {
    const repo = await fleet();
    const forge = GiteaForge.fromCloneUrl(gitea.repoUrl(gitea.admin.username, repo), { token: 'not-a-valid-token-0123456789abcdef' });
    const err = await forge.find('kure/x/y', 'main').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgeError);
    expect((err as ForgeError).kind).toBe('auth');
    expect((err as ForgeError).status).toBe(401);
    expect((err as ForgeError).message).not.toContain('not-a-valid-token');
    const missing = await GiteaForge.fromCloneUrl(gitea.repoUrl(gitea.admin.username, 'nope'), { token: bot.token }).find('a', 'main').catch((e: unknown) => e);
    expect((missing as ForgeError).kind).toBe('not-found');
  });
});
