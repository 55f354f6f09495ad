// The whole writeMode pullRequest flow with forge gitlab, as far as it can run here: Kure's real
// GitSink pushes to a real Git server (git http-backend) with a token, and a small stateful fake of
// GitLab's REST API v4 plays the merge requests over that same bare repository (a nested project
// path, group/sub/fleet): it lists, opens, updates and merges them (a real merge commit made with
// the git CLI; the source branch removed as asked), refuses the merge with GitLab's 405 and
// detailed_merge_status ci_must_pass while the pipeline has not passed, and 409 when the head
// moved. Not real GitLab: see docs/protected-branches.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitSink, type GitTarget } from '../../../src/git/index.js';
import { credentialsFromSecret, pullRequestBranch, syncClusterPullRequest } from '../../../src/forge/index.js';
import type { KureCluster } from '../../../src/api/schema.js';
import { gitCli, startGitServer, type GitServer } from '../../support/git-server.js';
import { FakeApi, type Recorded } from '../../unit/forge/fake-api.js';

const TOKEN = 'glpat-flowToken0123456789SECRET';
const PROJECT = 'group/sub/fleet';

interface MR { iid: number; source_branch: string; target_branch: string; title: string; description: string; state: 'opened' | 'closed' | 'merged'; merge_commit_sha: string | null; labels: string[] }

/** Just enough of GitLab over one bare repository. */
class MiniGitLab {
  mrs: MR[] = [];
  pipelines = new Map<string, 'running' | 'success' | 'failed'>();
  removed: string[] = [];
  private readonly headAtMerge = new Map<number, string>();
  constructor(private readonly gitdir: string) {}

  private rev(ref: string): string {
    try {
      return gitCli(['--git-dir', this.gitdir, 'rev-parse', '--verify', '--quiet', `refs/heads/${ref}`]).trim();
    } catch {
      return '';
    }
  }

  private status(m: MR): string {
    if (m.state !== 'opened') return 'not_open';
    return this.pipelines.get(this.rev(m.source_branch)) === 'success' ? 'mergeable' : 'ci_must_pass';
  }

  private json(m: MR) {
    return {
      id: 1000 + m.iid,
      iid: m.iid,
      project_id: 9,
      title: m.title,
      description: m.description,
      state: m.state,
      source_branch: m.source_branch,
      target_branch: m.target_branch,
      sha: m.state === 'merged' ? this.headAtMerge.get(m.iid) : this.rev(m.source_branch),
      merge_commit_sha: m.merge_commit_sha,
      squash_commit_sha: null,
      has_conflicts: false,
      detailed_merge_status: this.status(m),
      labels: m.labels,
      web_url: `https://gitlab.example.com/${PROJECT}/-/merge_requests/${m.iid}`,
    };
  }
  route = (req: Recorded) => {
    if (req.headers['private-token'] !== TOKEN) return { status: 401, body: { message: '401 Unauthorized' } };
    const u = new URL(req.url, 'http://x');
    const P = `/api/v4/projects/${encodeURIComponent(PROJECT)}`;
    if (!req.url.startsWith(P)) return { status: 404, body: { message: '404 Project Not Found' } };
    const rest = u.pathname.slice(P.length);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.method === 'GET' && rest === '/merge_requests') {
      const list = this.mrs.filter((m) => m.source_branch === u.searchParams.get('source_branch') && m.target_branch === u.searchParams.get('target_branch')).sort((a, b) => b.iid - a.iid);
      return { status: 200, body: list.map((m) => this.json(m)) };
    }
    if (req.method === 'POST' && rest === '/merge_requests') {
      const open = this.mrs.find((m) => m.source_branch === body.source_branch && m.state === 'opened');
      if (open) return { status: 409, body: { message: [`Another open merge request already exists for this source branch: !${open.iid}`] } };
      const m: MR = { iid: this.mrs.length + 1, source_branch: String(body.source_branch), target_branch: String(body.target_branch), title: String(body.title), description: String(body.description), state: 'opened', merge_commit_sha: null, labels: String(body.labels ?? '').split(',').filter(Boolean) };
      this.mrs.push(m);
      return { status: 201, body: this.json(m) };
    }
    const hit = /^\/merge_requests\/(\d+)(\/merge)?$/.exec(rest);
    const m = hit ? this.mrs.find((x) => x.iid === Number(hit[1])) : undefined;
    if (hit && !m) return { status: 404, body: { message: '404 Not found' } };
    if (m && req.method === 'GET' && !hit![2]) return { status: 200, body: this.json(m) };
    if (m && req.method === 'PUT' && !hit![2]) {
      if (typeof body.title === 'string') m.title = body.title;
      if (typeof body.description === 'string') m.description = body.description;
      return { status: 200, body: this.json(m) };
    }
    if (m && req.method === 'PUT' && hit![2]) {
      const head = this.rev(m.source_branch);
      if (m.state !== 'opened' || this.status(m) !== 'mergeable') return { status: 405, body: { message: '405 Method Not Allowed' } };
      if (body.sha !== head) return { status: 409, body: { message: 'SHA does not match HEAD of source branch: ' + head } };
      const g = (...a: string[]) => gitCli(['--git-dir', this.gitdir, ...a]).trim();
      const sha = g('commit-tree', `${head}^{tree}`, '-p', this.rev(m.target_branch), '-p', head, '-m', `Merge branch '${m.source_branch}' into '${m.target_branch}'`);
      g('update-ref', `refs/heads/${m.target_branch}`, sha);
      this.headAtMerge.set(m.iid, head);
      if (body.should_remove_source_branch === true) {
        g('update-ref', '-d', `refs/heads/${m.source_branch}`);
        this.removed.push(m.source_branch);
      }
      Object.assign(m, { state: 'merged', merge_commit_sha: sha });
      return { status: 200, body: this.json(m) };
    }
    return undefined;
  };
}

let server: GitServer;
let tmp: string;
const api = new FakeApi();

beforeAll(async () => {
  server = await startGitServer({ username: 'x-access-token', password: TOKEN });
  await api.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-gitlab-flow-'));
});
afterAll(async () => {
  await api.stop();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const tree = (files: Record<string, string>) => new Map(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
const message = (what: string) => `kure: render default/prod (${what})\n\nKure-Cluster: default/prod\nKure-Changed: KureApplication default/web generation 2\nKure-Version: test`;

describe('writeMode pullRequest with forge gitlab (real Git server, fake GitLab API)', () => {
  it('opens one merge request, updates it, merges once the pipeline passes; Ready at the merge commit, source branch removed', async () => {
    const gitdir = server.createRepo(PROJECT, { branch: 'main', files: { 'README.md': 'fleet\n' } });
    const gl = new MiniGitLab(gitdir);
    api.reset(gl.route);
    const git = (...a: string[]) => gitCli(['--git-dir', gitdir, ...a]).trim();
    const url = `${new URL(server.url('x')).origin}/${PROJECT}.git`;
    const creds = await credentialsFromSecret({ token: TOKEN });
    const repository = { url, branch: 'main', path: 'clusters/prod', writeMode: 'pullRequest', pullRequest: { forge: 'gitlab', apiUrl: `${api.origin}/api/v4`, labels: ['gitops', 'kure'], autoMerge: { method: 'merge' } } } as unknown as KureCluster['spec']['repository'];
    const target: GitTarget = { url, branch: 'main', path: 'clusters/prod', auth: creds.git, author: { name: 'Kure', email: 'kure@example.com' } };
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const sync = (files: Record<string, string>, what: string) => syncClusterPullRequest(sink, { namespace: 'default', name: 'prod' }, repository, target, creds.forge, tree(files), message(what));
    const branch = pullRequestBranch('default', 'prod');
    const main0 = git('rev-parse', 'refs/heads/main');

    const one = await sync({ 'a.yaml': 'a: 1\n' }, 'one');
    expect(one).toMatchObject({ phase: 'PullRequestOpen', branch, pullRequest: { number: 1, state: 'open', url: `https://gitlab.example.com/${PROJECT}/-/merge_requests/1` } });
    expect(one.message).toContain('405 Method Not Allowed (detailed_merge_status ci_must_pass)');
    expect(gl.mrs[0]).toMatchObject({ source_branch: branch, target_branch: 'main', labels: ['gitops', 'kure'], title: 'kure: render default/prod (one)' });
    expect(git('rev-parse', 'refs/heads/main')).toBe(main0);

    const two = await sync({ 'a.yaml': 'a: 2\n' }, 'two');
    expect(two).toMatchObject({ phase: 'PullRequestOpen', pullRequest: { number: 1 } });
    expect(gl.mrs).toHaveLength(1);
    expect(gl.mrs[0]!.title).toBe('kure: render default/prod (two)');

    const head = git('rev-parse', `refs/heads/${branch}`);
    gl.pipelines.set(head, 'success');
    const three = await sync({ 'a.yaml': 'a: 2\n' }, 'two');
    const main1 = git('rev-parse', 'refs/heads/main');
    expect(three).toMatchObject({ phase: 'Merged', baseSha: main1, pullRequest: { number: 1, state: 'merged' } });
    expect(git('rev-parse', `${main1}^2`)).toBe(head);
    expect(git('show', `${main1}:clusters/prod/a.yaml`)).toBe('a: 2');
    expect(gl.removed).toEqual([branch]);
    const merge = api.requests.filter((r) => r.method === 'PUT' && r.url.endsWith('/merge_requests/1/merge')).at(-1)!;
    expect(merge.body).toEqual({ sha: head, squash: false, should_remove_source_branch: true });

    const four = await sync({ 'a.yaml': 'a: 2\n' }, 'two');
    expect(four.phase).toBe('Merged');
    expect(gl.mrs).toHaveLength(1);
  });
});
