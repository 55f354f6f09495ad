// The whole writeMode pullRequest flow with forge github, as far as it can run here: Kure's real
// GitSink pushes to a real Git server (git http-backend), authenticated as a GitHub App
// installation (`x-access-token` + the installation token from credentialsFromSecret), and a
// small stateful fake of GitHub's REST API plays the pull requests over that same bare repository:
// it lists, opens, updates and merges them (a real merge commit made with the git CLI), refuses
// the merge with GitHub's 405 while the required status is missing and with 409 when the head
// moved, and checks the App JWT and the Bearer token. Not real GitHub: see docs/protected-branches.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync, verify } from 'node:crypto';
import { GitSink, type GitTarget } from '../../../src/git/index.js';
import { clearGitHubAppTokens, credentialsFromSecret, pullRequestBranch, syncClusterPullRequest } from '../../../src/forge/index.js';
import type { KureCluster } from '../../../src/api/schema.js';
import { gitCli, gitCliAsync, startGitServer, type GitServer } from '../../support/git-server.js';
import { FakeApi, type Recorded } from '../../unit/forge/fake-api.js';

const INSTALLATION_TOKEN = 'ghs_flowInstallationToken0123SECRET';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const APP_SECRET = { githubAppID: '4242', githubAppInstallationID: '77', githubAppPrivateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };

interface Pull { number: number; head: string; base: string; title: string; body: string; state: 'open' | 'closed'; merged: boolean; merge_commit_sha: string | null; labels: string[] }

/** Just enough of GitHub over one bare repository. */
class MiniGitHub {
  pulls: Pull[] = [];
  statuses = new Map<string, 'success' | 'pending' | 'failure'>();
  constructor(private readonly gitdir: string, private readonly owner: string, private readonly repo: string) {}

  private rev(ref: string): string {
    try {
      return gitCli(['--git-dir', this.gitdir, 'rev-parse', '--verify', '--quiet', `refs/heads/${ref}`]).trim();
    } catch {
      return '';
    }
  }

  private json(p: Pull) {
    return {
      number: p.number,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${p.number}`,
      state: p.state,
      title: p.title,
      body: p.body,
      merged: p.merged,
      merged_at: p.merged ? '2026-12-02T05:30:00Z' : null,
      mergeable: p.state === 'open' ? true : null,
      merge_commit_sha: p.merge_commit_sha,
      head: { ref: p.head, sha: p.merged ? (p.merge_commit_sha ?? '') : this.rev(p.head), repo: { full_name: `${this.owner}/${this.repo}` } },
      base: { ref: p.base },
    };
  }

  route = (req: Recorded) => {
    const R = `/repos/${this.owner}/${this.repo}`;
    const u = new URL(req.url, 'http://x');
    if (req.method === 'POST' && u.pathname === '/app/installations/77/access_tokens') {
      const [h, p, s] = String(req.headers.authorization).replace(/^Bearer /, '').split('.');
      if (!h || !p || !s || !verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      return { status: 201, body: { token: INSTALLATION_TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() } };
    }
    if (req.headers.authorization !== `Bearer ${INSTALLATION_TOKEN}`) return { status: 401, body: { message: 'Bad credentials' } };
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.method === 'GET' && u.pathname === `${R}/pulls`) {
      const head = (u.searchParams.get('head') ?? '').replace(`${this.owner}:`, '');
      const list = this.pulls.filter((p) => p.head === head && p.base === u.searchParams.get('base')).sort((a, b) => b.number - a.number);
      return { status: 200, body: list.map((p) => ({ ...this.json(p), merged: undefined, mergeable: undefined })) };
    }
    if (req.method === 'POST' && u.pathname === `${R}/pulls`) {
      if (this.pulls.some((p) => p.head === body.head && p.state === 'open')) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.owner}:${String(body.head)}.` }] } };
      if (!this.rev(String(body.head))) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] } };
      const p: Pull = { number: this.pulls.length + 1, head: String(body.head), base: String(body.base), title: String(body.title), body: String(body.body), state: 'open', merged: false, merge_commit_sha: null, labels: [] };
      this.pulls.push(p);
      return { status: 201, body: this.json(p) };
    }
    const m = /^\/repos\/[^/]+\/[^/]+\/(pulls|issues)\/(\d+)(\/merge|\/labels)?$/.exec(u.pathname);
    const p = m ? this.pulls.find((x) => x.number === Number(m[2])) : undefined;
    if (m && !p) return { status: 404, body: { message: 'Not Found' } };
    if (p && req.method === 'GET' && !m![3]) return { status: 200, body: this.json(p) };
    if (p && req.method === 'PATCH' && !m![3]) {
      if (typeof body.title === 'string') p.title = body.title;
      if (typeof body.body === 'string') p.body = body.body;
      return { status: 200, body: this.json(p) };
    }
    if (p && req.method === 'POST' && m![3] === '/labels') {
      p.labels.push(...(body.labels as string[]));
      return { status: 200, body: p.labels.map((name, id) => ({ id, name })) };
    }
    if (p && req.method === 'PUT' && m![3] === '/merge') {
      const head = this.rev(p.head);
      if (p.state !== 'open') return { status: 405, body: { message: 'Pull Request is not mergeable' } };
      if (body.sha !== head) return { status: 409, body: { message: 'Head branch was modified. Review and try the merge again.' } };
      if (this.statuses.get(head) !== 'success') return { status: 405, body: { message: 'Required status check "ci" is expected.' } };
      const g = (...a: string[]) => gitCli(['--git-dir', this.gitdir, ...a]).trim();
      const sha = g('commit-tree', `${head}^{tree}`, '-p', this.rev(p.base), '-p', head, '-m', `Merge pull request #${p.number} from ${p.head}`);
      g('update-ref', `refs/heads/${p.base}`, sha);
      Object.assign(p, { state: 'closed', merged: true, merge_commit_sha: sha });
      return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
    }
    if (req.method === 'DELETE' && u.pathname.startsWith(`${R}/git/refs/heads/`)) {
      const ref = decodeURIComponent(u.pathname.slice(`${R}/git/refs/heads/`.length));
      if (!this.rev(ref)) return { status: 422, body: { message: 'Reference does not exist' } };
      gitCli(['--git-dir', this.gitdir, 'update-ref', '-d', `refs/heads/${ref}`]);
      return { status: 204 };
    }
    return undefined;
  };
}

let server: GitServer;
let tmp: string;
const api = new FakeApi();

beforeAll(async () => {
  server = await startGitServer({ username: 'x-access-token', password: INSTALLATION_TOKEN });
  await api.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-github-flow-'));
});
afterAll(async () => {
  await api.stop();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const tree = (files: Record<string, string>) => new Map(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
const message = (what: string) => `kure: render default/prod (${what})\n\nKure-Cluster: default/prod\nKure-Changed: KureApplication default/web generation 2\nKure-Version: test`;

describe('writeMode pullRequest with forge github (real Git server, fake GitHub API, GitHub App credentials)', () => {
  it('opens one PR, updates it, rebuilds it over a person\'s change on main, merges once the required status passes; Ready at the merge commit', async () => {
    clearGitHubAppTokens();
    // org/fleet.git under the server's root (http-backend serves nested paths): the clone URL names owner and repository.
    const gitdir = server.createRepo('org/fleet', { branch: 'main', files: { 'README.md': 'fleet\n', 'clusters/prod/old.yaml': 'old\n' } });
    const gh = new MiniGitHub(gitdir, 'org', 'fleet');
    api.reset(gh.route);
    const git = (...a: string[]) => gitCli(['--git-dir', gitdir, ...a]).trim();

    // What the controller does: the Secret's data → credentials; target.auth = creds.git, and the same on to the forge.
    const creds = await credentialsFromSecret(APP_SECRET, api.origin);
    expect(creds.git).toEqual({ username: 'x-access-token', password: INSTALLATION_TOKEN });
    const url = `${new URL(server.url('fleet')).origin}/org/fleet.git`;
    const repository = { url, branch: 'main', path: 'clusters/prod', writeMode: 'pullRequest', pullRequest: { forge: 'github', apiUrl: api.origin, labels: ['gitops'], autoMerge: { method: 'merge' } } } as unknown as KureCluster['spec']['repository'];
    const target: GitTarget = { url, branch: 'main', path: 'clusters/prod', auth: creds.git, author: { name: 'Kure', email: 'kure@example.com' } };
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const sync = (files: Record<string, string>, what: string) => syncClusterPullRequest(sink, { namespace: 'default', name: 'prod' }, repository, target, creds.git, tree(files), message(what));
    const branch = pullRequestBranch('default', 'prod');
    const main0 = git('rev-parse', 'refs/heads/main');

    // 1. A change opens a PR (with the label); the merge waits for the required status with GitHub's words.
    const one = await sync({ 'a.yaml': 'a: 1\n' }, 'one');
    expect(one).toMatchObject({ phase: 'PullRequestOpen', branch, pullRequest: { number: 1, state: 'open', url: 'https://github.com/org/fleet/pull/1' } });
    expect(one.message).toContain('Required status check "ci" is expected.');
    expect(gh.pulls[0]).toMatchObject({ head: branch, base: 'main', title: 'kure: render default/prod (one)', labels: ['gitops'] });
    expect(gh.pulls[0]!.body).toContain('Kure-Changed: KureApplication default/web generation 2');
    expect(git('rev-parse', 'refs/heads/main')).toBe(main0); // the base is never written
    expect(git('rev-parse', `refs/heads/${branch}^`)).toBe(main0);
    expect(git('ls-tree', '-r', '--name-only', `refs/heads/${branch}`).split('\n')).toEqual(['README.md', 'clusters/prod/a.yaml']);

    // 2. A second change updates the same PR (PATCH), no second PR.
    const two = await sync({ 'a.yaml': 'a: 2\n' }, 'two');
    expect(two).toMatchObject({ phase: 'PullRequestOpen', pullRequest: { number: 1 } });
    expect(gh.pulls).toHaveLength(1);
    expect(gh.pulls[0]!.title).toBe('kure: render default/prod (two)');
    expect(api.requests.some((r) => r.method === 'PATCH' && r.url === '/repos/org/fleet/pulls/1')).toBe(true);

    // 3. A person changes main; Kure's branch is rebuilt on it (their file kept).
    const work = fs.mkdtempSync(path.join(tmp, 'work-'));
    const authUrl = new URL(url);
    authUrl.username = 'x-access-token';
    authUrl.password = INSTALLATION_TOKEN;
    await gitCliAsync(['clone', '--quiet', authUrl.href, work]);
    fs.writeFileSync(path.join(work, 'PERSON.md'), 'by a person\n');
    await gitCliAsync(['-C', work, 'add', 'PERSON.md']);
    await gitCliAsync(['-C', work, 'commit', '--quiet', '-m', 'a person']);
    await gitCliAsync(['-C', work, 'push', '--quiet', 'origin', 'main']);
    const main1 = git('rev-parse', 'refs/heads/main');
    const three = await sync({ 'a.yaml': 'a: 2\n' }, 'two');
    expect(three.phase).toBe('PullRequestOpen');
    expect(git('rev-parse', `refs/heads/${branch}^`)).toBe(main1);
    expect(git('show', `refs/heads/${branch}:PERSON.md`)).toBe('by a person');

    // 4. The required status passes on the head: Kure merges at that head; Ready at the merge commit.
    const head = git('rev-parse', `refs/heads/${branch}`);
    gh.statuses.set(head, 'success');
    const four = await sync({ 'a.yaml': 'a: 2\n' }, 'two');
    const main2 = git('rev-parse', 'refs/heads/main');
    expect(four).toMatchObject({ phase: 'Merged', baseSha: main2, pullRequest: { number: 1, state: 'merged' } });
    expect(git('rev-parse', `${main2}^1`)).toBe(main1);
    expect(git('rev-parse', `${main2}^2`)).toBe(head);
    expect(git('show', `${main2}:clusters/prod/a.yaml`)).toBe('a: 2');
    expect(git('for-each-ref', '--format=%(refname)', 'refs/heads/kure')).toBe(''); // branch deleted after the merge
    const merge = api.requests.filter((r) => r.method === 'PUT' && r.url === '/repos/org/fleet/pulls/1/merge').at(-1)!;
    expect(merge.body).toEqual({ merge_method: 'merge', sha: head });

    // 5. Nothing left to do: Merged without a push or a new PR.
    const five = await sync({ 'a.yaml': 'a: 2\n' }, 'two');
    expect(five.phase).toBe('Merged');
    expect(gh.pulls).toHaveLength(1);
    expect(git('rev-parse', 'refs/heads/main')).toBe(main2);

    // Every API call carried the installation token as Bearer; it was minted once.
    const apiCalls = api.requests.filter((r) => !r.url.startsWith('/app/'));
    expect(apiCalls.every((r) => r.headers.authorization === `Bearer ${INSTALLATION_TOKEN}`)).toBe(true);
    expect(api.requests.filter((r) => r.url.startsWith('/app/'))).toHaveLength(1);
  });
});
