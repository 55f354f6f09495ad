import { Writable } from 'node:stream';
import { createLogger, displayUrl, scrub, scrubString } from '../../../src/controller/logger.js';

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
