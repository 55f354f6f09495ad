import { Writable } from 'node:stream';
import { createLogger, displayUrl, isExpectedError, scrub, scrubString } from '../../../src/controller/logger.js';
import { GitError } from '../../../src/git/errors.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

describe('redaction', () => {
  it('scrubs URL userinfo, authorization values and password/token pairs from text', () => {
    expect(scrubString('push to https://bob:hunter2@git.example.com/x.git failed')).toBe('push to https://[REDACTED]@git.example.com/x.git failed');
    expect(scrubString('Authorization: Basic Ym9iOmh1bnRlcjI=')).not.toContain('Ym9iOmh1bnRlcjI');
    expect(scrubString('header bearer abcdefghijklmnop')).not.toContain('abcdefghijklmnop');
    expect(scrubString('password=hunter2&x=1')).toBe('password=[REDACTED]&x=1');
    expect(scrubString('{"token":"s3cr3t"}')).not.toContain('s3cr3t');
  });

  it('scrubs nested objects and errors', () => {
    const err = Object.assign(new Error('clone https://u:p4ss@h/r.git'), { password: 'p4ss', body: { data: 'x' } });
    const out = JSON.stringify(scrub({ auth: { username: 'u', password: 'p4ss' }, nested: { token: 't0k3n', url: 'http://a:b@c' }, err }));
    expect(out).not.toMatch(/p4ss|t0k3n|a:b@/);
  });

  it('displayUrl drops credentials', () => {
    expect(displayUrl('https://user:pw@example.com/repo.git')).toBe('https://example.com/repo.git');
  });

  it('the logger never writes credentials', () => {
    const { lines, stream } = capture();
    const log = createLogger('debug', stream);
    log.info({ target: { url: 'https://alice:s3cret@git/x.git', auth: { username: 'alice', password: 's3cret' } } }, 'syncing');
    log.warn({ headers: { authorization: 'Basic czNjcmV0' } }, 'request');
    log.error({ err: new Error('401 for https://alice:s3cret@git/x.git') }, 'failed with token=abc123');
    log.info('message with password=s3cret inline');
    const all = lines.join('\n');
    expect(lines).toHaveLength(4);
    expect(all).not.toMatch(/s3cret|czNjcmV0|abc123/);
    expect(all).toContain('[REDACTED]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'syncing' });
  });
});

describe('formats, keys and stacks', () => {
  const secret = 's3cret-Pw';
  const leak = (log: ReturnType<typeof createLogger>) => {
    log.info({ target: { url: `https://alice:${secret}@git/x.git`, auth: { username: 'alice', password: secret } } }, 'syncing');
    log.warn({ headers: { authorization: `Basic ${Buffer.from(`alice:${secret}`).toString('base64')}` } }, 'request');
    log.error({ err: new GitError('auth', `401 for https://alice:${secret}@git/x.git`, { status: 401 }) }, `failed with token=${secret}`);
    log.info(`message with password=${secret} inline`);
  };

  it.each(['json', 'text'] as const)('%s: credentials are redacted', (format) => {
    const { lines, stream } = capture();
    leak(createLogger('debug', stream, format));
    const all = lines.join('\n');
    expect(lines).toHaveLength(4);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(Buffer.from(`alice:${secret}`).toString('base64'));
    expect(all).toContain('[REDACTED]');
  });

  it('text: one readable line a record, TIME LEVEL message key=value, values quoted when needed', () => {
    const { lines, stream } = capture();
    const log = createLogger('debug', stream, 'text');
    log.info({ cluster: 'platform/prod', sha: 'abc123', files: 3, namespaces: ['a', 'b'] }, 'pushed commit');
    log.child({ component: 'git' }).warn({ err: new GitError('network', 'push to https://git/x.git failed: 503\nretrying') }, 'git sync failed');
    log.error({ err: new TypeError('x is undefined') }, 'bug');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}pushed commit cluster=platform\/prod sha=abc123 files=3 namespaces=a,b$/);
    expect(lines[1]).toMatch(/ WARN {2}\[git\] git sync failed err="GitError: push to https:\/\/git\/x.git failed: 503\\nretrying" err.kind=network$/);
    expect(lines[2]).toMatch(/ ERROR bug err="TypeError: x is undefined" err.stack="TypeError: x is undefined\\n +at /);
  });

  it('json: each key once, even when a child binding and a call field share a name', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream).child({ component: 'git', cluster: 'a/b' });
    log.info({ cluster: 'a/b', err: new GitError('other', 'nope') }, 'x');
    expect(lines).toHaveLength(1);
    for (const key of ['component', 'cluster', 'level', 'time', 'msg']) expect(lines[0]!.split(`"${key}":`).length - 1).toBe(1);
    const rec = JSON.parse(lines[0]!) as { component: string; err: Record<string, unknown> };
    expect(rec.component).toBe('git');
    expect(Object.keys(rec.err).sort()).toEqual(['kind', 'message', 'type']);
  });

  it('expected errors are logged without a stack trace, bugs with one', () => {
    const apiNotFound = Object.assign(new Error('HTTP-Code: 404 Message: Not Found'), { code: 404 });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    const noAnswer = new TypeError('fetch failed', { cause: refused });
    for (const e of [new GitError('auth', 'denied'), apiNotFound, refused, noAnswer, Object.assign(new Error('x'), { expected: true })]) {
      expect(isExpectedError(e)).toBe(true);
      expect((scrub(e) as Record<string, unknown>).stack).toBeUndefined();
    }
    for (const e of [new TypeError('a'), new RangeError('b'), new Error('plain')]) {
      expect(isExpectedError(e)).toBe(false);
      expect(String((scrub(e) as Record<string, unknown>).stack)).toContain('at ');
    }
    const wrapped = scrub(new Error('outer', { cause: new GitError('network', 'inner') })) as { cause: Record<string, unknown> };
    expect(wrapped.cause).toEqual({ type: 'GitError', message: 'inner', kind: 'network' });
    const { lines, stream } = capture();
    createLogger('info', stream, 'text').warn({ err: noAnswer }, 'list failed');
    expect(lines[0]).toMatch(/ list failed err="TypeError: fetch failed" err.cause="Error: connect ECONNREFUSED 127.0.0.1:6443" err.cause.code=ECONNREFUSED$/);
  });
});
