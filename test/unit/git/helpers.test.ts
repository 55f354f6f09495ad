// The small pieces of src/git: paths, credentials and redaction, error kinds, pkt-lines, messages.
import { credentials, redactUrls, TOKEN_USERNAME } from '../../../src/git/auth.js';
import { GitError, HttpStatusError, toGitError } from '../../../src/git/errors.js';
import { describeChanges, provenanceMessage } from '../../../src/git/message.js';
import { normaliseOwnedPath } from '../../../src/git/paths.js';
import { isStaleRefReason, parsePktLines, pktLine } from '../../../src/git/smart-http.js';

describe('normaliseOwnedPath', () => {
  it('normalises as the model normalises repository.path (one normaliser)', () => {
    expect(normaliseOwnedPath('clusters/prod')).toBe('clusters/prod');
    expect(normaliseOwnedPath('./clusters/prod/')).toBe('clusters/prod');
    expect(normaliseOwnedPath('a//b')).toBe('a/b');
    expect(normaliseOwnedPath('a/./b')).toBe('a/b');
  });
  it.each([
    ['', /below the repository root/],
    ['./', /below the repository root/],
    ['.', /below the repository root/],
    ['..', /inside the repository/],
    ['a/../../b', /inside the repository/],
    ['/etc', /relative/],
    ['.git', /\.git/],
    ['a/.GIT/b', /\.git/],
    ['a\\b', /separator/],
    ['a\0b', /NUL/],
  ])('rejects %j', (p, re) => {
    expect(() => normaliseOwnedPath(p)).toThrow(re);
    try {
      normaliseOwnedPath(p);
    } catch (e) {
      expect(e).toBeInstanceOf(GitError);
      expect((e as GitError).kind).toBe('other');
    }
  });
});

describe('credentials', () => {
  it('sends username/password as Basic and scrubs the secret in every form', () => {
    const c = credentials('https://git.example.com/org/repo.git/', { username: 'bot', password: 'p@ss/w0rd' });
    expect(c.url).toBe('https://git.example.com/org/repo.git');
    const basic = Buffer.from('bot:p@ss/w0rd').toString('base64');
    expect(c.headers).toEqual({ Authorization: `Basic ${basic}` });
    expect(c.scrub(`x p@ss/w0rd y ${encodeURIComponent('p@ss/w0rd')} z ${basic}`)).toBe('x [REDACTED] y [REDACTED] z [REDACTED]');
  });
  it('sends a token with a fixed username', () => {
    const c = credentials('https://h/r.git', { token: 'tok-123' });
    expect(c.headers.Authorization).toBe('Basic ' + Buffer.from(`${TOKEN_USERNAME}:tok-123`).toString('base64'));
    expect(c.scrub('failed with tok-123')).toBe('failed with [REDACTED]');
  });
  it('takes userinfo out of the URL', () => {
    const c = credentials('https://u:s3cr%40t@h/r.git');
    expect(c.url).toBe('https://h/r.git');
    expect(c.headers.Authorization).toBe('Basic ' + Buffer.from('u:s3cr@t').toString('base64'));
    expect(c.scrub('https://u:s3cr%40t@h/r.git s3cr@t')).toBe('https://h/r.git [REDACTED]');
  });
  it('has no header without credentials', () => {
    expect(credentials('http://h/r.git').headers).toEqual({});
  });
  it('redacts userinfo of any URL in a text', () => {
    expect(redactUrls('clone https://a:b@x.com/r and http://tok@y/z')).toBe('clone https://x.com/r and http://y/z');
  });
});

describe('toGitError', () => {
  const id = (s: string) => s;
  it.each([
    [new HttpStatusError(401, 'HTTP 401'), 'auth'],
    [new HttpStatusError(403, 'HTTP 403'), 'auth'],
    [new HttpStatusError(503, 'HTTP 503'), 'network'],
    [new HttpStatusError(429, 'HTTP 429'), 'network'],
    [new HttpStatusError(404, 'HTTP 404'), 'other'],
    [Object.assign(new Error('HTTP Error: 401'), { code: 'HttpError', data: { statusCode: 401 } }), 'auth'],
    [Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), 'network'],
    [Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'network'],
    [new DOMException('timed out', 'TimeoutError'), 'network'],
    [new Error('boom'), 'other'],
  ])('%s → %s', (err, kind) => {
    const e = toGitError(err, 'push to http://h/r.git', id);
    expect(e).toBeInstanceOf(GitError);
    expect(e.name).toBe('GitError');
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(/^push to http:\/\/h\/r\.git: /);
  });
  it('keeps the status and scrubs the message', () => {
    const e = toGitError(new Error('bad secret-1'), 'x', (s) => s.replace('secret-1', '[REDACTED]'));
    expect(e.message).toBe('x: bad [REDACTED]');
    expect(toGitError(new HttpStatusError(503, 'HTTP 503'), 'x', id).status).toBe(503);
  });
});

describe('pkt-lines', () => {
  it('round-trips and parses flushes', () => {
    const buf = Buffer.concat([pktLine('unpack ok\n'), pktLine('ok refs/heads/main\n'), Buffer.from('0000')]);
    expect(buf.subarray(0, 4).toString()).toBe('000e');
    expect(parsePktLines(buf).map((l) => (l === null ? null : l.toString()))).toEqual(['unpack ok\n', 'ok refs/heads/main\n', null]);
  });
  it('rejects truncated input', () => {
    expect(() => parsePktLines(Buffer.from('00ffabc'))).toThrow(/truncated/);
  });
  it('knows which refusals mean "the branch moved"', () => {
    expect(isStaleRefReason('fetch first')).toBe(true);
    expect(isStaleRefReason('failed to update ref')).toBe(true);
    expect(isStaleRefReason('pre-receive hook declined')).toBe(false);
    // As forges word "the branch moved since you read it":
    for (const reason of [
      'fetch first', // GitHub, git: the remote has commits we lack
      'non-fast-forward',
      "cannot lock ref 'refs/heads/main': is at 1111111111111111111111111111111111111111 but expected 2222222222222222222222222222222222222222", // git, Gitea
      'failed to update ref', // Gitea
      'incorrect old value provided', // GitLab (Gitaly)
    ])
      expect({ reason, stale: isStaleRefReason(reason) }).toEqual({ reason, stale: true });
    for (const reason of ['protected branch hook declined', 'permission denied', 'unpack failed: index-pack abnormal exit'])
      expect({ reason, stale: isStaleRefReason(reason) }).toEqual({ reason, stale: false });
  });
});

describe('describeChanges', () => {
  it('says how many files changed and lists them, at most max', () => {
    expect(describeChanges('production', ['a.yaml'])).toBe('kure: render production (1 file)\n\na.yaml');
    expect(describeChanges('p', ['1', '2', '3', '4'], 2)).toBe('kure: render p (4 files)\n\n1\n2\n… and 2 more');
    expect(describeChanges('p', [])).toBe('kure: render p (0 files)\n');
  });
});

describe('provenanceMessage', () => {
  const base = { cluster: 'platform/prod', version: '1.2.3' };

  it('names the resources in the subject, lists the paths, and ends with one trailer per resource', () => {
    const m = provenanceMessage({
      ...base,
      changed: [{ ref: 'KureBundle platform/web', generation: 2 }, { ref: 'KureApplication team-a/api' }],
      changedPaths: ['flux/kustomizations/web.yaml', 'nodes/apps/web/api.yaml'],
      drifted: [],
    });
    expect(m).toBe(
      [
        'kure: update platform/prod: KureBundle platform/web, KureApplication team-a/api (2 files)',
        '',
        'flux/kustomizations/web.yaml',
        'nodes/apps/web/api.yaml',
        '',
        'Kure-Cluster: platform/prod',
        'Kure-Changed: KureBundle platform/web generation 2',
        'Kure-Changed: KureApplication team-a/api (deleted)',
        'Kure-Version: 1.2.3',
      ].join('\n'),
    );
  });

  it('shows three names, then how many more; caps the listed paths', () => {
    const changed = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ ref: `KureApplication ns/${n}`, generation: 1 }));
    const m = provenanceMessage({ ...base, changed, changedPaths: ['1', '2', '3'], drifted: [] }, 2);
    expect(m.split('\n')[0]).toBe('kure: update platform/prod: KureApplication ns/a, KureApplication ns/b, KureApplication ns/c and 2 more (3 files)');
    expect(m.split('\n\n')[1]).toBe('1\n2\n… and 1 more');
    expect(m.match(/^Kure-Changed: /gm)).toHaveLength(5);
  });

  it('says drift repair when every changed file restores a hand edit', () => {
    const m = provenanceMessage({ ...base, changed: [], changedPaths: ['a.yaml'], drifted: ['a.yaml'] });
    expect(m.split('\n')[0]).toBe('kure: repair drift in platform/prod (1 file edited outside Kure)');
    expect(m.split('\n\n').at(-1)).toBe('Kure-Cluster: platform/prod\nKure-Drift-Repair: 1\nKure-Version: 1.2.3');
  });

  it('a change that also restores hand edits names the resources and lists the restored files', () => {
    const m = provenanceMessage({ ...base, changed: [{ ref: 'KureApplication ns/a', generation: 3 }], changedPaths: ['a.yaml', 'b.yaml'], drifted: ['b.yaml'] });
    expect(m.split('\n')[0]).toBe('kure: update platform/prod: KureApplication ns/a (2 files)');
    expect(m).toContain('\nAlso restores 1 file edited outside Kure: b.yaml\n');
    expect(m).toContain('\nKure-Drift-Repair: 1\n');
  });
});
