// GitHubForge against a local fake of GitHub's REST API (answers shaped as docs.github.com's
// "Pulls", "Issues labels", "Commit statuses", "Check runs" and "Git references" pages). Real
// GitHub is not reachable here: this checks the requests Kure sends and how it reads the answers.
import { GitHubForge, githubApiUrlFor } from '../../../src/forge/github.js';
import { forgeFor } from '../../../src/forge/factory.js';
import { ForgeError } from '../../../src/forge/types.js';
import { FakeApi, failure } from './fake-api.js';

const TOKEN = 'ghp_0123456789abcdefSECRET';
const api = new FakeApi();
const NOW = Date.parse('2026-12-02T05:00:00Z');
const forge = () => new GitHubForge({ apiUrl: api.origin, owner: 'org', repo: 'fleet', auth: { token: TOKEN }, now: () => NOW });

const pull = (o: Record<string, unknown> = {}) => ({
  url: 'https://api.github.com/repos/org/fleet/pulls/7',
  id: 1,
  number: 7,
  html_url: 'https://github.com/org/fleet/pull/7',
  state: 'open',
  locked: false,
  title: 'kure: render',
  body: 'body',
  merged_at: null,
  merge_commit_sha: 'testmerge0000000000000000000000000000000',
  head: { label: 'org:kure/ns/c1', ref: 'kure/ns/c1', sha: 'a'.repeat(40), repo: { full_name: 'org/fleet' } },
  base: { label: 'org:main', ref: 'main', sha: 'b'.repeat(40) },
  ...o,
});

beforeAll(() => api.start());
afterAll(() => api.stop());

describe('GitHubForge requests and answers', () => {
  it('find: one GET filtered by owner:head and base, all states, newest first; the newest matching PR, merged read from merged_at', async () => {
    api.reset(
      FakeApi.on('GET', /^\/repos\/org\/fleet\/pulls\?/, {
        status: 200,
        body: [pull({ number: 3, state: 'closed', merged_at: '2026-11-01T00:00:00Z', merge_commit_sha: 'c'.repeat(40) }), pull({ number: 2, state: 'closed' })],
      }),
    );
    const pr = await forge().find('kure/ns/c1', 'main');
    expect(api.requests).toHaveLength(1);
    const r = api.requests[0]!;
    expect(r.method).toBe('GET');
    expect(r.url).toBe('/repos/org/fleet/pulls?head=org%3Akure%2Fns%2Fc1&base=main&state=all&sort=created&direction=desc&per_page=30');
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers.accept).toBe('application/vnd.github+json');
    expect(r.headers['x-github-api-version']).toBe('2022-11-28');
    expect(r.headers['user-agent']).toBe('kure');
    expect(pr).toEqual({ number: 3, url: 'https://github.com/org/fleet/pull/7', state: 'merged', title: 'kure: render', body: 'body', head: 'kure/ns/c1', base: 'main', headSha: 'a'.repeat(40), mergeSha: 'c'.repeat(40) });
  });

  it('find: undefined when GitHub lists none', async () => {
    api.reset(FakeApi.on('GET', /^\/repos\/org\/fleet\/pulls\?/, { status: 200, body: [] }));
    expect(await forge().find('kure/ns/c1', 'main')).toBeUndefined();
  });

  it('open: POST pulls, then labels on the issue, then user and team reviewers', async () => {
    api.reset(
      FakeApi.on('POST', '/repos/org/fleet/pulls', { status: 201, body: pull({ body: 'the body' }) }),
      FakeApi.on('POST', '/repos/org/fleet/issues/7/labels', { status: 200, body: [{ id: 1, name: 'kure' }] }),
      FakeApi.on('POST', '/repos/org/fleet/pulls/7/requested_reviewers', { status: 201, body: pull() }),
    );
    const pr = await forge().open({ head: 'kure/ns/c1', base: 'main', title: 'kure: render', body: 'the body', labels: ['kure', 'gitops'], reviewers: ['alice', 'org/platform'] });
    expect(api.requests.map((r) => [r.method, r.url, r.body, r.headers['content-type']])).toEqual([
      ['POST', '/repos/org/fleet/pulls', { title: 'kure: render', head: 'kure/ns/c1', base: 'main', body: 'the body' }, 'application/json'],
      ['POST', '/repos/org/fleet/issues/7/labels', { labels: ['kure', 'gitops'] }, 'application/json'],
      ['POST', '/repos/org/fleet/pulls/7/requested_reviewers', { reviewers: ['alice'], team_reviewers: ['platform'] }, 'application/json'],
    ]);
    expect(pr).toMatchObject({ number: 7, state: 'open', body: 'the body', headSha: 'a'.repeat(40) });
    // An open PR's merge_commit_sha is GitHub's test merge, not on the base.
    expect(pr.mergeSha).toBeUndefined();
  });

  it('open without labels or reviewers is one request', async () => {
    api.reset(FakeApi.on('POST', '/repos/org/fleet/pulls', { status: 201, body: pull() }));
    await forge().open({ head: 'kure/ns/c1', base: 'main', title: 't', body: 'b' });
    expect(api.requests).toHaveLength(1);
  });

  it('update: PATCH title and body; get: mergeable null is "not said", true/false kept', async () => {
    api.reset(
      FakeApi.on('PATCH', '/repos/org/fleet/pulls/7', (r) => ({ status: 200, body: pull({ ...(r.body as object), mergeable: null }) })),
      FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 200, body: pull({ merged: false, mergeable: false, mergeable_state: 'dirty' }) }),
    );
    const updated = await forge().update(7, { title: 'new title', body: 'new body' });
    expect(api.requests[0]).toMatchObject({ method: 'PATCH', url: '/repos/org/fleet/pulls/7', body: { title: 'new title', body: 'new body' } });
    expect(updated.title).toBe('new title');
    expect('mergeable' in updated).toBe(false);
    expect((await forge().get(7)).mergeable).toBe(false);
  });

  describe('checks: combined status and check runs of the sha', () => {
    const sha = 'd'.repeat(40);
    const set = (status: { state: string; total_count: number }, runs: { status: string; conclusion: string | null }[]) =>
      api.reset(
        FakeApi.on('GET', `/repos/org/fleet/commits/${sha}/status`, { status: 200, body: { ...status, sha, statuses: [] } }),
        FakeApi.on('GET', `/repos/org/fleet/commits/${sha}/check-runs?per_page=100`, { status: 200, body: { total_count: runs.length, check_runs: runs } }),
      );
    it('none when there is neither a status nor a check run (GitHub says state pending, total_count 0)', async () => {
      set({ state: 'pending', total_count: 0 }, []);
      expect(await forge().checks(sha)).toBe('none');
      expect(api.requests.map((r) => r.url).sort()).toEqual([`/repos/org/fleet/commits/${sha}/check-runs?per_page=100`, `/repos/org/fleet/commits/${sha}/status`]);
    });
    it('success only when statuses succeed and every check run completed with success, neutral or skipped', async () => {
      set({ state: 'success', total_count: 2 }, [{ status: 'completed', conclusion: 'success' }, { status: 'completed', conclusion: 'neutral' }, { status: 'completed', conclusion: 'skipped' }]);
      expect(await forge().checks(sha)).toBe('success');
      set({ state: 'pending', total_count: 0 }, [{ status: 'completed', conclusion: 'success' }]);
      expect(await forge().checks(sha)).toBe('success');
    });
    it('reads every page of check runs: a failure on page 2 fails', async () => {
      const ok = { status: 'completed', conclusion: 'success' };
      api.reset(
        FakeApi.on('GET', `/repos/org/fleet/commits/${sha}/status`, { status: 200, body: { state: 'success', total_count: 1, sha, statuses: [] } }),
        FakeApi.on('GET', `/repos/org/fleet/commits/${sha}/check-runs?per_page=100`, { status: 200, body: { total_count: 101, check_runs: Array.from({ length: 100 }, () => ok) } }),
        FakeApi.on('GET', `/repos/org/fleet/commits/${sha}/check-runs?per_page=100&page=2`, { status: 200, body: { total_count: 101, check_runs: [{ status: 'completed', conclusion: 'failure' }] } }),
      );
      expect(await forge().checks(sha)).toBe('failure');
      expect(api.requests).toHaveLength(3);
    });
    it('pending while a status is pending or a check run is queued or in progress', async () => {
      set({ state: 'pending', total_count: 1 }, [{ status: 'completed', conclusion: 'success' }]);
      expect(await forge().checks(sha)).toBe('pending');
      set({ state: 'success', total_count: 1 }, [{ status: 'in_progress', conclusion: null }]);
      expect(await forge().checks(sha)).toBe('pending');
    });
    it('failure when a status fails or errors, or a check run fails, times out or is cancelled', async () => {
      set({ state: 'error', total_count: 1 }, []);
      expect(await forge().checks(sha)).toBe('failure');
      for (const conclusion of ['failure', 'timed_out', 'cancelled', 'action_required']) {
        set({ state: 'success', total_count: 1 }, [{ status: 'in_progress', conclusion: null }, { status: 'completed', conclusion }]);
        expect(await forge().checks(sha)).toBe('failure');
      }
    });
  });

  describe('merge', () => {
    const sha = 'a'.repeat(40);
    it('PUT merge with the method and the head sha; deleteBranch deletes the head ref afterwards', async () => {
      api.reset(
        FakeApi.on('PUT', '/repos/org/fleet/pulls/7/merge', { status: 200, body: { sha: 'e'.repeat(40), merged: true, message: 'Pull Request successfully merged' } }),
        FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 200, body: pull({ state: 'closed', merged: true, merged_at: '2026-12-02T05:00:00Z', merge_commit_sha: 'e'.repeat(40) }) }),
        FakeApi.on('DELETE', '/repos/org/fleet/git/refs/heads/kure/ns/c1', { status: 204 }),
      );
      expect(await forge().merge(7, { method: 'squash', sha, deleteBranch: true })).toEqual({ merged: true });
      expect(api.requests.map((r) => [r.method, r.url, r.body])).toEqual([
        ['PUT', '/repos/org/fleet/pulls/7/merge', { merge_method: 'squash', sha }],
        ['GET', '/repos/org/fleet/pulls/7', undefined],
        ['DELETE', '/repos/org/fleet/git/refs/heads/kure/ns/c1', undefined],
      ]);
    });
    it('a head branch GitHub already deleted (422 Reference does not exist) is still merged', async () => {
      api.reset(
        FakeApi.on('PUT', '/repos/org/fleet/pulls/7/merge', { status: 200, body: { sha: 'e'.repeat(40), merged: true, message: 'ok' } }),
        FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 200, body: pull({ state: 'closed', merged: true }) }),
        FakeApi.on('DELETE', '/repos/org/fleet/git/refs/heads/kure/ns/c1', { status: 422, body: { message: 'Reference does not exist' } }),
      );
      expect(await forge().merge(7, { method: 'merge', sha, deleteBranch: true })).toEqual({ merged: true });
    });
    it('405 (required checks or reviews missing) waits with GitHub\'s message; 409 (head moved) is a conflict', async () => {
      api.reset(FakeApi.on('PUT', '/repos/org/fleet/pulls/7/merge', { status: 405, body: { message: 'Required status check "ci" is expected.', documentation_url: 'https://docs.github.com/rest' } }));
      expect(await forge().merge(7, { method: 'merge', sha })).toEqual({ merged: false, reason: 'Required status check "ci" is expected.' });
      api.reset(FakeApi.on('PUT', '/repos/org/fleet/pulls/7/merge', { status: 409, body: { message: 'Head branch was modified. Review and try the merge again.' } }));
      expect(await forge().merge(7, { method: 'merge', sha })).toEqual({ merged: false, conflict: true, reason: 'Head branch was modified. Review and try the merge again.' });
    });
  });
});

describe('GitHubForge errors', () => {
  it('422 is invalid, with the details GitHub gives', async () => {
    api.reset(FakeApi.on('POST', '/repos/org/fleet/pulls', { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for org:kure/ns/c1.' }], documentation_url: 'x' } }));
    const e = await failure(forge().open({ head: 'kure/ns/c1', base: 'main', title: 't', body: 'b' }));
    expect(e).toBeInstanceOf(ForgeError);
    expect(e.kind).toBe('invalid');
    expect(e.message).toBe('GitHub org/fleet: POST /repos/org/fleet/pulls: HTTP 422: Validation Failed: A pull request already exists for org:kure/ns/c1.');
  });
  it('401 and a plain 403 are auth', async () => {
    api.reset(FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 401, body: { message: 'Bad credentials', documentation_url: 'x' } }));
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'auth', status: 401, message: expect.stringContaining('Bad credentials') });
    api.reset(FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 403, body: { message: 'Resource not accessible by integration' } }));
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'auth', status: 403 });
  });
  it('403 with x-ratelimit-remaining 0 is rate-limit, the wait from x-ratelimit-reset', async () => {
    const reset = String(NOW / 1000 + 125);
    api.reset(FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, body: { message: 'API rate limit exceeded for installation ID 42.' } }));
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'rate-limit', retryAfterSeconds: 125, message: expect.stringContaining('API rate limit exceeded') });
  });
  it('403 or 429 with retry-after (secondary rate limit) is rate-limit with that wait', async () => {
    api.reset(FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 403, headers: { 'retry-after': '30' }, body: { message: 'You have exceeded a secondary rate limit.' } }));
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'rate-limit', retryAfterSeconds: 30 });
    api.reset(FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 429, headers: { 'retry-after': '7' }, body: { message: 'slow down' } }));
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'rate-limit', retryAfterSeconds: 7 });
  });
  it('a 403 whose message says secondary rate limit, without headers, is rate-limit (a minute)', async () => {
    api.reset(FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } }));
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'rate-limit', retryAfterSeconds: 60 });
  });
  it('404 is not-found, 5xx network; an unreachable API is network', async () => {
    api.reset(FakeApi.on('GET', '/repos/org/fleet/pulls/7', { status: 502, body: { message: 'Server Error' } }));
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'network', status: 502 });
    api.reset();
    expect(await failure(forge().get(7))).toMatchObject({ kind: 'not-found', status: 404 });
    const gone = new GitHubForge({ apiUrl: 'http://127.0.0.1:1', owner: 'org', repo: 'fleet', auth: { token: TOKEN } });
    expect(await failure(gone.get(7))).toMatchObject({ kind: 'network' });
  });
  it('never shows the token or the Basic credentials, even when the forge echoes them', async () => {
    api.reset((r) => ({ status: 401, body: { message: `Bad credentials for ${String(r.headers.authorization)}` } }));
    const e = await failure(forge().get(7));
    expect(e.message).not.toContain(TOKEN);
    expect(e.message).toContain('[REDACTED]');
    const basic = new GitHubForge({ apiUrl: api.origin, owner: 'org', repo: 'fleet', auth: { username: 'bot', password: TOKEN } });
    const e2 = await failure(basic.get(7));
    expect(api.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from(`bot:${TOKEN}`).toString('base64')}`);
    expect(e2.message).not.toContain(TOKEN);
    expect(e2.message).not.toContain(Buffer.from(`bot:${TOKEN}`).toString('base64'));
  });
});

describe('GitHub API root and forgeFor', () => {
  it('github.com → api.github.com; another host is GitHub Enterprise Server (/api/v3); the spec apiUrl wins', async () => {
    expect(githubApiUrlFor('https://github.com/org/fleet.git')).toBe('https://api.github.com');
    expect(githubApiUrlFor('https://ghe.example.com/org/fleet')).toBe('https://ghe.example.com/api/v3');
    api.reset(FakeApi.on('GET', '/api/v3/repos/org/fleet/pulls/7', { status: 200, body: pull() }));
    const f = forgeFor('github', 'https://ghe.example.com/org/fleet.git', { token: TOKEN }, `${api.origin}/api/v3`);
    expect(f.name).toBe('github');
    expect((await f.get(7)).number).toBe(7);
  });
  it('an SSH clone URL names no API', () => {
    expect(() => forgeFor('github', 'git@github.com:org/fleet.git', { token: TOKEN })).toThrow(/spec.repository.url must be an http\(s\) URL/);
  });
});
