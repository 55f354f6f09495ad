// GitLabForge against a local fake of GitLab's REST API v4 (answers shaped as docs.gitlab.com's
// "Merge requests API", "Pipelines API", "Commits API" (statuses) and "Users API" pages). No real
// GitLab runs here: this checks the requests Kure sends and how it reads the answers.
import { GitLabForge } from '../../../src/forge/gitlab.js';
import { forgeFor } from '../../../src/forge/factory.js';
import { ForgeError } from '../../../src/forge/types.js';
import { FakeApi, failure } from './fake-api.js';

const TOKEN = 'glpat-0123456789abcdefSECRET';
const NOW = Date.parse('2026-12-02T05:00:00Z');
const api = new FakeApi();
const P = '/api/v4/projects/group%2Fsub%2Ffleet';
const forge = () => new GitLabForge({ apiUrl: `${api.origin}/api/v4`, project: 'group/sub/fleet', auth: { token: TOKEN }, now: () => NOW });

const mr = (o: Record<string, unknown> = {}) => ({
  id: 100,
  iid: 5,
  project_id: 9,
  title: 'kure: render',
  description: 'body',
  state: 'opened',
  source_branch: 'kure/ns/c1',
  target_branch: 'main',
  sha: 'a'.repeat(40),
  merge_commit_sha: null,
  squash_commit_sha: null,
  has_conflicts: false,
  detailed_merge_status: 'mergeable',
  merge_when_pipeline_succeeds: false,
  web_url: 'https://gitlab.example.com/group/sub/fleet/-/merge_requests/5',
  ...o,
});

beforeAll(() => api.start());
afterAll(() => api.stop());

describe('GitLabForge requests and answers', () => {
  it('find: one GET by source and target branch, all states, newest first; PRIVATE-TOKEN auth; the project path URL-encoded', async () => {
    api.reset(FakeApi.on('GET', /\/merge_requests\?/, { status: 200, body: [mr({ iid: 4, state: 'merged', merge_commit_sha: 'c'.repeat(40) }), mr({ iid: 3, state: 'closed' })] }));
    const pr = await forge().find('kure/ns/c1', 'main');
    const r = api.requests[0]!;
    expect(api.requests).toHaveLength(1);
    expect(r.method).toBe('GET');
    expect(r.url).toBe(`${P}/merge_requests?source_branch=kure%2Fns%2Fc1&target_branch=main&state=all&order_by=created_at&sort=desc&per_page=20`);
    expect(r.headers['private-token']).toBe(TOKEN);
    expect(r.headers.authorization).toBeUndefined();
    expect(pr).toEqual({ number: 4, url: 'https://gitlab.example.com/group/sub/fleet/-/merge_requests/5', state: 'merged', title: 'kure: render', body: 'body', head: 'kure/ns/c1', base: 'main', headSha: 'a'.repeat(40), mergeable: true, mergeSha: 'c'.repeat(40) });
  });

  it('find: undefined when there is none; state closed and locked are closed', async () => {
    api.reset(FakeApi.on('GET', /\/merge_requests\?/, { status: 200, body: [] }));
    expect(await forge().find('kure/ns/c1', 'main')).toBeUndefined();
    api.reset(FakeApi.on('GET', /\/merge_requests\?/, { status: 200, body: [mr({ state: 'locked' })] }));
    expect((await forge().find('kure/ns/c1', 'main'))!.state).toBe('closed');
  });

  it('open: reviewers looked up by username, then one POST with labels as a comma list and reviewer_ids', async () => {
    api.reset(
      FakeApi.on('GET', '/api/v4/users?username=alice', { status: 200, body: [{ id: 11, username: 'alice', name: 'Alice', state: 'active' }] }),
      FakeApi.on('GET', '/api/v4/users?username=bob', { status: 200, body: [{ id: 12, username: 'bob', name: 'Bob', state: 'active' }] }),
      FakeApi.on('POST', `${P}/merge_requests`, (r) => ({ status: 201, body: mr({ description: (r.body as { description: string }).description, detailed_merge_status: 'checking' }) })),
    );
    const pr = await forge().open({ head: 'kure/ns/c1', base: 'main', title: 'kure: render', body: 'the body', labels: ['kure', 'gitops'], reviewers: ['alice', 'bob'] });
    expect(api.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', '/api/v4/users?username=alice', undefined],
      ['GET', '/api/v4/users?username=bob', undefined],
      ['POST', `${P}/merge_requests`, { source_branch: 'kure/ns/c1', target_branch: 'main', title: 'kure: render', description: 'the body', labels: 'kure,gitops', reviewer_ids: [11, 12] }],
    ]);
    expect(pr).toMatchObject({ number: 5, state: 'open', body: 'the body' });
    expect('mergeable' in pr).toBe(false); // still checking
  });

  it('open: a reviewer GitLab does not know is refused naming the field', async () => {
    api.reset(FakeApi.on('GET', '/api/v4/users?username=nobody', { status: 200, body: [] }));
    const e = await failure(forge().open({ head: 'h', base: 'main', title: 't', body: 'b', reviewers: ['nobody'] }));
    expect(e).toMatchObject({ kind: 'invalid', message: expect.stringContaining('spec.repository.pullRequest.reviewers') });
  });

  it('update: PUT title and description; get: conflicts read as not mergeable; a fast-forward merge has the head as merge commit', async () => {
    api.reset(
      FakeApi.on('PUT', `${P}/merge_requests/5`, { status: 200, body: mr({ title: 'new', description: 'new body' }) }),
      FakeApi.on('GET', `${P}/merge_requests/5`, { status: 200, body: mr({ has_conflicts: true, detailed_merge_status: 'conflict' }) }),
      FakeApi.on('GET', `${P}/merge_requests/6`, { status: 200, body: mr({ iid: 6, state: 'merged', merge_commit_sha: null }) }),
    );
    const u = await forge().update(5, { title: 'new', body: 'new body' });
    expect(api.requests[0]).toMatchObject({ method: 'PUT', url: `${P}/merge_requests/5`, body: { title: 'new', description: 'new body' } });
    expect(u).toMatchObject({ title: 'new', body: 'new body' });
    expect((await forge().get(5)).mergeable).toBe(false);
    expect((await forge().get(6)).mergeSha).toBe('a'.repeat(40));
  });

  describe('checks: the latest pipeline and the commit statuses of the sha', () => {
    const sha = 'd'.repeat(40);
    const set = (pipelines: string[], statuses: { status: string; allow_failure?: boolean }[]) =>
      api.reset(
        FakeApi.on('GET', `${P}/pipelines?sha=${sha}&order_by=id&sort=desc&per_page=1`, { status: 200, body: pipelines.map((status, i) => ({ id: 50 - i, sha, ref: 'kure/ns/c1', status })) }),
        FakeApi.on('GET', `${P}/repository/commits/${sha}/statuses?per_page=100`, { status: 200, body: statuses.map((s, i) => ({ id: i, sha, name: `job${i}`, allow_failure: false, ...s })) }),
      );
    it('none without pipeline or status; success; pending while running or pending; failure when failed or canceled', async () => {
      set([], []);
      expect(await forge().checks(sha)).toBe('none');
      expect(api.requests).toHaveLength(2);
      set(['success'], [{ status: 'success' }, { status: 'skipped' }]);
      expect(await forge().checks(sha)).toBe('success');
      set(['running'], [{ status: 'success' }]);
      expect(await forge().checks(sha)).toBe('pending');
      set([], [{ status: 'pending' }]);
      expect(await forge().checks(sha)).toBe('pending');
      set(['failed'], []);
      expect(await forge().checks(sha)).toBe('failure');
      set(['success'], [{ status: 'canceled' }]);
      expect(await forge().checks(sha)).toBe('failure');
    });
    it('a job allowed to fail does not fail it', async () => {
      set(['success'], [{ status: 'failed', allow_failure: true }, { status: 'success' }]);
      expect(await forge().checks(sha)).toBe('success');
    });
  });

  describe('merge', () => {
    const sha = 'a'.repeat(40);
    it('PUT merge with sha, squash and source branch removal; merged when GitLab answers state merged', async () => {
      api.reset(FakeApi.on('PUT', `${P}/merge_requests/5/merge`, { status: 200, body: mr({ state: 'merged', merge_commit_sha: 'e'.repeat(40) }) }));
      expect(await forge().merge(5, { method: 'squash', sha, deleteBranch: true })).toEqual({ merged: true });
      expect(api.requests.map((r) => [r.method, r.url, r.body])).toEqual([['PUT', `${P}/merge_requests/5/merge`, { sha, squash: true, should_remove_source_branch: true }]]);
    });
    it('merge_when_pipeline_succeeds only when asked (auto): then not merged yet, GitLab will', async () => {
      api.reset(FakeApi.on('PUT', `${P}/merge_requests/5/merge`, { status: 200, body: mr({ merge_when_pipeline_succeeds: true }) }));
      expect(await forge().merge(5, { method: 'merge', sha, auto: true })).toEqual({ merged: false, reason: 'set to merge when the pipeline succeeds' });
      expect(api.requests[0]!.body).toEqual({ sha, squash: false, merge_when_pipeline_succeeds: true });
    });
    it('405 (approvals or pipeline missing) waits, with the detailed_merge_status GitLab gives', async () => {
      api.reset(
        FakeApi.on('PUT', `${P}/merge_requests/5/merge`, { status: 405, body: { message: '405 Method Not Allowed' } }),
        FakeApi.on('GET', `${P}/merge_requests/5`, { status: 200, body: mr({ detailed_merge_status: 'not_approved' }) }),
      );
      expect(await forge().merge(5, { method: 'merge', sha })).toEqual({ merged: false, reason: '405 Method Not Allowed (detailed_merge_status not_approved)' });
    });
    it('406 (conflict) and 409 (SHA does not match HEAD) are a conflict', async () => {
      api.reset(FakeApi.on('PUT', `${P}/merge_requests/5/merge`, { status: 406, body: { message: 'Branch cannot be merged' } }));
      expect(await forge().merge(5, { method: 'merge', sha })).toEqual({ merged: false, conflict: true, reason: 'Branch cannot be merged' });
      api.reset(FakeApi.on('PUT', `${P}/merge_requests/5/merge`, { status: 409, body: { message: 'SHA does not match HEAD of source branch: ' + 'f'.repeat(40) } }));
      expect(await forge().merge(5, { method: 'merge', sha })).toMatchObject({ merged: false, conflict: true, reason: expect.stringContaining('SHA does not match HEAD') });
    });
  });
});

describe('GitLabForge errors', () => {
  it('401 is auth with GitLab\'s message; 403 too', async () => {
    api.reset(FakeApi.on('GET', `${P}/merge_requests/5`, { status: 401, body: { message: '401 Unauthorized' } }));
    const e = await failure(forge().get(5));
    expect(e).toBeInstanceOf(ForgeError);
    expect(e).toMatchObject({ kind: 'auth', status: 401, message: 'GitLab group/sub/fleet: GET /api/v4/projects/group%2Fsub%2Ffleet/merge_requests/5: HTTP 401: 401 Unauthorized' });
    api.reset(FakeApi.on('GET', `${P}/merge_requests/5`, { status: 403, body: { message: '403 Forbidden' } }));
    expect(await failure(forge().get(5))).toMatchObject({ kind: 'auth' });
  });
  it('400 with field messages is invalid, the fields spelled out', async () => {
    api.reset(FakeApi.on('POST', `${P}/merge_requests`, { status: 409, body: { message: ['Another open merge request already exists for this source branch: !4'] } }));
    expect(await failure(forge().open({ head: 'h', base: 'main', title: 't', body: 'b' }))).toMatchObject({ kind: 'other', message: expect.stringContaining('Another open merge request already exists') });
    api.reset(FakeApi.on('POST', `${P}/merge_requests`, { status: 400, body: { message: { title: ['is too long (maximum is 255 characters)'] } } }));
    expect(await failure(forge().open({ head: 'h', base: 'main', title: 't', body: 'b' }))).toMatchObject({ kind: 'invalid', message: expect.stringContaining('title is too long (maximum is 255 characters)') });
  });
  it('429 is rate-limit: Retry-After, or RateLimit-Reset when RateLimit-Remaining is 0', async () => {
    api.reset(FakeApi.on('GET', `${P}/merge_requests/5`, { status: 429, headers: { 'Retry-After': '12', 'RateLimit-Remaining': '0' }, body: { message: 'Retry later' } }));
    expect(await failure(forge().get(5))).toMatchObject({ kind: 'rate-limit', retryAfterSeconds: 12, message: expect.stringContaining('Retry later') });
    api.reset(FakeApi.on('GET', `${P}/merge_requests/5`, { status: 429, headers: { 'RateLimit-Remaining': '0', 'RateLimit-Reset': String(NOW / 1000 + 40) }, body: 'Retry later\n' }));
    expect(await failure(forge().get(5))).toMatchObject({ kind: 'rate-limit', retryAfterSeconds: 40 });
  });
  it('never shows the token, even when echoed; username/password sends the password as the token', async () => {
    api.reset((r) => ({ status: 401, body: { message: `invalid token ${String(r.headers['private-token'])}` } }));
    const e = await failure(forge().get(5));
    expect(e.message).not.toContain(TOKEN);
    expect(e.message).toContain('[REDACTED]');
    const basic = new GitLabForge({ apiUrl: `${api.origin}/api/v4`, project: 'group/sub/fleet', auth: { username: 'bot', password: TOKEN } });
    const e2 = await failure(basic.get(5));
    expect(api.requests.at(-1)!.headers['private-token']).toBe(TOKEN);
    expect(e2.message).not.toContain(TOKEN);
  });
  it('forgeFor gitlab: project path from the clone URL, API root <origin>/api/v4', async () => {
    api.reset(FakeApi.on('GET', `${P}/merge_requests/5`, { status: 200, body: mr() }));
    const f = forgeFor('gitlab', `${api.origin}/group/sub/fleet.git`, { token: TOKEN });
    expect((await f.get(5)).number).toBe(5);
  });
});
