// GitHub App authentication against a local fake of POST /app/installations/{id}/access_tokens
// that checks the App JWT with the App's public key, as GitHub does, and mints tokens shaped as
// docs.github.com's "Create an installation access token for an app" answer (201, token,
// expires_at one hour later). The clock is injected: caching and the refresh 5 minutes before
// expiry are checked without waiting.
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { appJwt, clearGitHubAppTokens, credentialsFromSecret, GitHubAppTokenSource } from '../../../src/forge/github-app.js';
import { forgeFor } from '../../../src/forge/factory.js';
import { ForgeError } from '../../../src/forge/types.js';
import { FakeApi, failure, type Recorded } from './fake-api.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
// GitHub hands out PKCS#1 ("BEGIN RSA PRIVATE KEY").
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const OTHER_PEM = other.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const T0 = Date.parse('2026-12-02T05:00:00Z');

const api = new FakeApi();
let clock = T0;
let minted = 0;

function decode(jwt: string, key: KeyObject): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return undefined;
  if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return undefined;
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

/** GitHub's endpoint: the JWT must verify with the App's public key and be current. */
function accessTokens(req: Recorded) {
  const auth = String(req.headers.authorization ?? '');
  const jwt = decode(auth.replace(/^Bearer /, ''), publicKey);
  const now = Math.floor(clock / 1000);
  if (!auth.startsWith('Bearer ') || !jwt || (jwt.claims.exp as number) <= now || (jwt.claims.iat as number) > now + 60)
    return { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' } };
  minted++;
  return { status: 201, body: { token: `ghs_installation${minted}SECRET`, expires_at: new Date(clock + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'), permissions: { contents: 'write', pull_requests: 'write' }, repository_selection: 'selected' } };
}

const secret = (o: Record<string, string> = {}) => ({ githubAppID: '123456', githubAppInstallationID: '42', githubAppPrivateKey: PEM, ...o });
const creds = (data: Record<string, string>) => credentialsFromSecret(data, api.origin, { now: () => clock });

beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  clearGitHubAppTokens();
  clock = T0;
  minted = 0;
  api.reset(FakeApi.on('POST', '/app/installations/42/access_tokens', accessTokens));
});

describe('GitHub App JWT', () => {
  it('RS256, typ JWT; iss the App ID, iat 60 s back, exp 9 min ahead (GitHub allows 10); verifies with the public key', () => {
    const jwt = decode(appJwt('123456', PEM, T0 + 400), publicKey)!;
    expect(jwt).toBeDefined();
    expect(jwt.header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(jwt.claims).toEqual({ iss: 123456, iat: T0 / 1000 - 60, exp: T0 / 1000 + 540 });
    expect(decode(appJwt('123456', PEM, T0), other.publicKey)).toBeUndefined();
  });
});

describe('credentialsFromSecret', () => {
  it('GitHub App keys: one POST to access_tokens with the JWT; the token for the API and as Git password of x-access-token', async () => {
    const c = await creds(secret());
    expect(c).toEqual({ git: { username: 'x-access-token', password: 'ghs_installation1SECRET' }, forge: { token: 'ghs_installation1SECRET' }, kind: 'github-app' });
    expect(api.requests).toHaveLength(1);
    const r = api.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/app/installations/42/access_tokens');
    expect(r.headers.accept).toBe('application/vnd.github+json');
    expect(r.headers['x-github-api-version']).toBe('2022-11-28');
    const jwt = decode(String(r.headers.authorization).replace(/^Bearer /, ''), publicKey)!;
    expect(jwt.claims).toEqual({ iss: 123456, iat: T0 / 1000 - 60, exp: T0 / 1000 + 540 });
  });

  it('the installation token reaches the GitHub API as Bearer through forgeFor', async () => {
    const c = await creds(secret());
    api.routes.push(FakeApi.on('GET', '/repos/org/fleet/pulls/1', { status: 404, body: { message: 'Not Found' } }));
    await failure(forgeFor('github', 'https://github.com/org/fleet.git', c.forge, api.origin).get(1));
    expect(api.requests.at(-1)!.headers.authorization).toBe('Bearer ghs_installation1SECRET');
  });

  it('the Git credentials (x-access-token + token) given to forgeFor as they are also reach the API as Bearer', async () => {
    const c = await creds(secret());
    api.routes.push(FakeApi.on('GET', '/repos/org/fleet/pulls/1', { status: 404, body: { message: 'Not Found' } }));
    await failure(forgeFor('github', 'https://github.com/org/fleet.git', c.git, api.origin).get(1));
    expect(api.requests.at(-1)!.headers.authorization).toBe('Bearer ghs_installation1SECRET');
  });

  it('without apiUrl the API root comes from the clone URL: another host than github.com is GitHub Enterprise Server (/api/v3)', async () => {
    api.reset(FakeApi.on('POST', '/api/v3/app/installations/42/access_tokens', accessTokens));
    const c = await credentialsFromSecret(secret(), undefined, { now: () => clock, cloneUrl: `${api.origin}/org/fleet.git` });
    expect(c.forge.token).toBe('ghs_installation1SECRET');
    expect(api.requests.map((r) => r.url)).toEqual(['/api/v3/app/installations/42/access_tokens']);
  });

  it('caches the token; asks again only 5 minutes before expires_at; concurrent callers share one request', async () => {
    await Promise.all([creds(secret()), creds(secret()), creds(secret())]);
    expect(minted).toBe(1);
    clock = T0 + 54 * 60_000; // 6 min left
    expect((await creds(secret())).forge.token).toBe('ghs_installation1SECRET');
    expect(minted).toBe(1);
    clock = T0 + 55 * 60_000 + 1; // under 5 min left
    expect((await creds(secret())).forge.token).toBe('ghs_installation2SECRET');
    expect(minted).toBe(2);
    // The new JWT was made at the new time.
    const jwt = decode(String(api.requests.at(-1)!.headers.authorization).replace(/^Bearer /, ''), publicKey)!;
    expect(jwt.claims.iat).toBe(Math.floor(clock / 1000) - 60);
  });

  it('a rotated key or another installation is another cache entry', async () => {
    api.routes.push(FakeApi.on('POST', '/app/installations/43/access_tokens', accessTokens));
    await creds(secret());
    await creds(secret({ githubAppInstallationID: '43' }));
    expect(minted).toBe(2);
  });

  it('githubAppBaseURL in the Secret is the API root (GitHub Enterprise Server)', async () => {
    api.reset(FakeApi.on('POST', '/api/v3/app/installations/42/access_tokens', accessTokens));
    const c = await credentialsFromSecret(secret({ githubAppBaseURL: `${api.origin}/api/v3` }), 'https://unused.example', { now: () => clock });
    expect(c.kind).toBe('github-app');
    expect(api.requests[0]!.url).toBe('/api/v3/app/installations/42/access_tokens');
  });

  it('a key GitHub does not know is refused as auth, with GitHub\'s message and neither the key nor the JWT', async () => {
    const e = await failure(creds(secret({ githubAppPrivateKey: OTHER_PEM })));
    expect(e).toBeInstanceOf(ForgeError);
    expect(e).toMatchObject({ kind: 'auth', status: 401, message: expect.stringContaining('A JSON web token could not be decoded') });
    const jwt = String(api.requests[0]!.headers.authorization).replace(/^Bearer /, '');
    expect(e.message).not.toContain(jwt);
    expect(e.message).not.toContain('PRIVATE KEY');
  });

  it('an installation GitHub does not have (404) is auth naming githubAppInstallationID', async () => {
    expect(await failure(creds(secret({ githubAppInstallationID: '99' })))).toMatchObject({ kind: 'auth', message: expect.stringContaining('githubAppInstallationID') });
  });

  it('missing, malformed or non-numeric keys are refused naming the key, never showing it', async () => {
    expect(await failure(creds({ githubAppID: '1', githubAppPrivateKey: PEM }))).toMatchObject({ kind: 'auth', message: expect.stringContaining('missing: githubAppInstallationID') });
    const bad = await failure(creds(secret({ githubAppPrivateKey: '-----BEGIN RSA PRIVATE KEY-----\nnotakey\n-----END RSA PRIVATE KEY-----' })));
    expect(bad).toMatchObject({ kind: 'auth', message: expect.stringContaining('githubAppPrivateKey is not a PEM private key') });
    expect(bad.message).not.toContain('notakey');
    expect(await failure(creds(secret({ githubAppID: 'my-app' })))).toMatchObject({ kind: 'auth', message: expect.stringContaining('githubAppID must be the numeric App ID') });
    expect(api.requests).toHaveLength(0);
  });

  it('a rate-limited mint is rate-limit with the wait', async () => {
    api.reset(FakeApi.on('POST', '/app/installations/42/access_tokens', { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 90) }, body: { message: 'API rate limit exceeded' } }));
    expect(await failure(creds(secret()))).toMatchObject({ kind: 'rate-limit', retryAfterSeconds: 90 });
  });

  it('token and username/password pass through as before; nothing usable is an auth error naming the keys', async () => {
    expect(await creds({ token: 't0k' })).toEqual({ git: { token: 't0k' }, forge: { token: 't0k' }, kind: 'token' });
    expect(await creds({ username: 'bot', password: 'pw' })).toEqual({ git: { username: 'bot', password: 'pw' }, forge: { username: 'bot', password: 'pw' }, kind: 'basic' });
    expect(await failure(creds({}))).toMatchObject({ kind: 'auth', message: expect.stringContaining('token, or username and password, or githubAppID') });
    expect(api.requests).toHaveLength(0);
  });
});

describe('GitHubAppTokenSource', () => {
  it('mints again after a failure (a failed mint is not cached)', async () => {
    const src = new GitHubAppTokenSource({ appId: '123456', installationId: '42', privateKey: PEM }, { apiUrl: api.origin, now: () => clock });
    api.reset(FakeApi.on('POST', '/app/installations/42/access_tokens', { status: 502, body: { message: 'Server Error' } }));
    expect(await failure(src.token())).toMatchObject({ kind: 'network' });
    api.reset(FakeApi.on('POST', '/app/installations/42/access_tokens', accessTokens));
    expect(await src.token()).toBe('ghs_installation1SECRET');
  });
});
