// Secrets stay secret: known credentials are fed through the controller's failure paths (wrong
// password, a pre-receive hook that echoes the pusher's token, a redirect to a URL with userinfo,
// credentials in the repository URL itself) and
// searched for in everything Kure writes: its logs (every level), Events, status, commit messages.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createGitSink } from '../../../src/controller/git-sink.js';
import type { Manager } from '../../../src/controller/manager.js';
import { gitCli, type GitServer } from '../../support/git-server.js';
import { kubeRequest } from '../../support/kube.js';
import { applyAll, createGitSecret, getKure, GIT_PASSWORD, GIT_USER, installCrds, newNamespace, smallCluster, startGit, startTestManager, waitReady } from './harness.js';

let git: GitServer;
const managers: Manager[] = [];
const cacheDirs: string[] = [];
const logLines: string[] = [];
const logger = pino({ level: 'trace' }, { write: (s: string) => void logLines.push(s) });

beforeAll(async () => {
  await installCrds();
  git = await startGit();
});
afterAll(async () => {
  for (const m of managers) await m.stop();
  await git?.stop();
  for (const d of cacheDirs) rmSync(d, { recursive: true, force: true });
});

async function start(ns: string): Promise<Manager> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kure-secrets-git-'));
  cacheDirs.push(dir);
  const sink = createGitSink(dir, logger);
  const m = await startTestManager([ns], { logger, sink });
  managers.push(m);
  return m;
}

/** Every place Kure writes to, for one namespace and repository. */
async function everythingKureWrote(ns: string, repo: string): Promise<string> {
  const { body: events } = await kubeRequest<{ items: unknown[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
  const objects = await Promise.all(['KureCluster/prod', 'KureNode/apps', 'KureBundle/web'].map((k) => getKure(k.split('/')[0]!, ns, k.split('/')[1]!)));
  const log = gitCli(['--git-dir', git.gitdir(repo), 'log', '--all', '--format=%B']);
  return [logLines.join(''), JSON.stringify(events.items), JSON.stringify(objects.map((o) => o?.status)), log].join('\n');
}

/** The secret, and the encodings a leak would take (base64 of it and of user:secret, URL-encoded). */
const encodings = (secret: string) => [secret, Buffer.from(secret).toString('base64'), Buffer.from(`${GIT_USER}:${secret}`).toString('base64'), encodeURIComponent(secret)];

describe('credentials never leak', () => {
  it('a wrong password: GitError on the cluster, and the password is nowhere', async () => {
    const ns = await newNamespace('sec');
    const wrong = `wr0ng-${ns}-Pa55`;
    git.createRepo('wrong');
    await createGitSecret(ns, 'git-auth', { username: GIT_USER, password: wrong });
    await applyAll(smallCluster(ns, git.url('wrong')));
    await start(ns);
    const c = await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'GitError' });
    expect(c.message).toMatch(/auth/i);
    const all = await everythingKureWrote(ns, 'wrong');
    for (const e of encodings(wrong)) expect({ leaked: e, found: all.includes(e) }).toEqual({ leaked: e, found: false });
  });

  it("a pre-receive hook that echoes the token: its text reaches the condition, the token does not", async () => {
    const ns = await newNamespace('sec');
    git.createRepo('hooked');
    writeFileSync(path.join(git.gitdir('hooked'), 'hooks', 'pre-receive'), `#!/bin/sh\necho "policy: pushes by ${GIT_USER}:${GIT_PASSWORD} need a signed commit" >&2\nexit 1\n`, { mode: 0o755 });
    await createGitSecret(ns);
    await applyAll(smallCluster(ns, git.url('hooked')));
    await start(ns);
    const c = await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'GitError' });
    expect(c.message).toContain('pre-receive hook declined: the server said: policy: pushes by');
    expect(c.message).toContain('need a signed commit');
    const all = await everythingKureWrote(ns, 'hooked');
    expect(all).toContain('need a signed commit'); // the search looks where the text went
    for (const e of encodings(GIT_PASSWORD)) expect({ leaked: e, found: all.includes(e) }).toEqual({ leaked: e, found: false });
  });

  it('a redirect to a URL that carries credentials, and credentials written into repository.url: neither leaks', async () => {
    const ns = await newNamespace('sec');
    git.createRepo('redirected');
    const inLocation = `l0cation-${ns}-Pa55`;
    // Every request is answered 302 to the real server with a password in the Location's userinfo.
    const target = new URL(git.url('redirected'));
    const redirector = createServer((req, res) => {
      res.writeHead(302, { Location: `${target.protocol}//${GIT_USER}:${inLocation}@${target.host}${req.url ?? '/'}` });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    try {
      const port = (redirector.address() as AddressInfo).port;
      await createGitSecret(ns);
      await applyAll(smallCluster(ns, `http://127.0.0.1:${port}${target.pathname}`));
      await start(ns);
      const c = await waitReady('KureCluster', ns, 'prod', { status: 'False', reason: 'GitError' });
      expect(c.message).toMatch(/302|redirect/i);
      const all = await everythingKureWrote(ns, 'redirected');
      for (const secret of [inLocation, GIT_PASSWORD]) for (const e of encodings(secret)) expect({ leaked: e, found: all.includes(e) }).toEqual({ leaked: e, found: false });
    } finally {
      await new Promise((r) => redirector.close(r));
    }

    // Credentials in the URL itself (a wrong password there): used, and never shown.
    const ns2 = await newNamespace('sec');
    const inUrl = `ur1-${ns2}-Pa55`;
    const withUserinfo = new URL(git.url('redirected'));
    withUserinfo.username = GIT_USER;
    withUserinfo.password = inUrl;
    await applyAll(
      smallCluster(ns2, withUserinfo.toString()).map((o) =>
        o.kind === 'KureCluster' ? ({ ...o, spec: { ...o.spec, repository: { url: withUserinfo.toString(), path: 'clusters/prod' } } } as typeof o) : o,
      ),
    );
    await start(ns2);
    const c2 = await waitReady('KureCluster', ns2, 'prod', { status: 'False', reason: 'GitError' });
    expect(c2.message).toMatch(/auth/i);
    const all2 = await everythingKureWrote(ns2, 'redirected');
    for (const e of encodings(inUrl)) expect({ leaked: e, found: all2.includes(e) }).toEqual({ leaked: e, found: false });
  });
});
