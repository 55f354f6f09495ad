// How GiteaForge turns HTTP answers into ForgeErrors: a local HTTP server answers as a forge does
// when rate-limiting (429 + Retry-After; 403 + X-RateLimit-Remaining: 0), refusing a token (401)
// or failing (502), and even echoes the Authorization header back: the token must never surface.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GiteaForge } from '../../../src/forge/gitea.js';
import { ForgeError } from '../../../src/forge/types.js';

const TOKEN = 'tok-0123456789abcdef-secret';
let server: http.Server;
let origin: string;
let answer: { status: number; headers?: Record<string, string>; body: (auth: string) => string };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
    res.end(answer.body(String(req.headers.authorization ?? '')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const forge = () => GiteaForge.fromCloneUrl(`${origin}/org/fleet.git`, { token: TOKEN });
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as ForgeError);

describe('GiteaForge errors', () => {
  it('429 with Retry-After is rate-limit, with the forge message and the wait', async () => {
    answer = { status: 429, headers: { 'Retry-After': '37' }, body: () => JSON.stringify({ message: 'API rate limit exceeded' }) };
    const e = await failure(forge().get(1));
    expect(e).toBeInstanceOf(ForgeError);
    expect(e).toMatchObject({ kind: 'rate-limit', status: 429, retryAfterSeconds: 37 });
    expect(e!.message).toContain('API rate limit exceeded');
    expect(e!.message).toContain('org/fleet/pulls/1');
  });
  it('403 with X-RateLimit-Remaining: 0 is rate-limit too; a plain 403 is auth', async () => {
    answer = { status: 403, headers: { 'X-RateLimit-Remaining': '0' }, body: () => JSON.stringify({ message: 'rate limited' }) };
    expect((await failure(forge().get(1)))!.kind).toBe('rate-limit');
    answer = { status: 403, body: () => JSON.stringify({ message: 'user does not have permission' }) };
    expect(await failure(forge().get(1))).toMatchObject({ kind: 'auth', status: 403 });
  });
  it('never carries the token, even when the server echoes the Authorization header', async () => {
    answer = { status: 401, body: (auth) => JSON.stringify({ message: `bad credentials: ${auth}` }) };
    const e = await failure(forge().find('kure/a/b', 'main'));
    expect(e).toMatchObject({ kind: 'auth', status: 401 });
    expect(e!.message).toContain('[REDACTED]');
    expect(e!.message).not.toContain(TOKEN);
  });
  it('5xx is network (retry later); a non-JSON body is quoted, cut short', async () => {
    answer = { status: 502, body: () => '<html>bad gateway</html>'.padEnd(1000, '.') };
    const e = await failure(forge().get(1));
    expect(e).toMatchObject({ kind: 'network', status: 502 });
    expect(e!.message.length).toBeLessThan(450);
  });
  it('a refused merge is not an error: 405 and 409 are outcomes with the reason', async () => {
    answer = { status: 405, body: () => JSON.stringify({ message: 'Not all required status checks successful' }) };
    await expect(forge().merge(3, { method: 'merge', sha: 'a'.repeat(40) })).resolves.toEqual({ merged: false, reason: 'Not all required status checks successful' });
    answer = { status: 409, body: () => JSON.stringify({ message: 'head out of date' }) };
    await expect(forge().merge(3, { method: 'merge', sha: 'a'.repeat(40) })).resolves.toMatchObject({ merged: false, conflict: true });
  });
});
