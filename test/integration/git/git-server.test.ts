// The test Git server (test/support/git-server.ts) is a real smart-HTTP server: isomorphic-git and
// the git CLI clone from it and push to it, pushes persist, and bad credentials change nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { gitCli, gitCliAsync, startGitServer, type GitServer } from '../../support/git-server.js';

const USER = 'kure';
const PASS = 's3cret-token';

describe('test Git server (git http-backend)', () => {
  let server: GitServer;
  let work: string;

  beforeAll(async () => {
    server = await startGitServer({ username: USER, password: PASS });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-git-client-'));
  });
  afterEach(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  const onAuth = () => ({ username: USER, password: PASS });
  const author = { name: 'Tester', email: 'tester@example.com' };

  it('lets isomorphic-git clone, commit and push; the git CLI sees the pushed commit', async () => {
    const gitdir = server.createRepo('clone-push', { files: { 'README.md': 'hello\n' } });
    const dir = path.join(work, 'clone');
    await git.clone({ fs, http, dir, url: server.url('clone-push'), onAuth, singleBranch: true, depth: 1 });
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('hello\n');

    fs.writeFileSync(path.join(dir, 'new.txt'), 'new file\n');
    await git.add({ fs, dir, filepath: 'new.txt' });
    const sha = await git.commit({ fs, dir, message: 'add new.txt', author });
    const res = await git.push({ fs, http, dir, onAuth });
    expect(res.ok).toBe(true);

    expect(gitCli(['--git-dir', gitdir, 'log', '-1', '--format=%H %s', 'main']).trim()).toBe(`${sha} add new.txt`);
    expect(gitCli(['--git-dir', gitdir, 'show', 'main:new.txt'])).toBe('new file\n');
    expect(gitCli(['--git-dir', gitdir, 'rev-list', '--count', 'main']).trim()).toBe('2');
  });

  it('works with the git CLI too, including large (gzip/chunked) pushes', async () => {
    const gitdir = server.createRepo('cli', { files: { 'a.txt': 'a\n' } });
    const dir = path.join(work, 'cli');
    await gitCliAsync(['clone', '--quiet', server.authUrl('cli'), dir]);
    // Enough incompressible data that git posts in chunks rather than one buffer.
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `big-${i}.bin`), Buffer.from(os.EOL + Math.random()).toString('hex').repeat(2000) + i);
    gitCli(['add', '.'], { cwd: dir });
    gitCli(['-c', 'user.name=T', '-c', 'user.email=t@e', 'commit', '--quiet', '-m', 'big'], { cwd: dir });
    await gitCliAsync(['-c', 'http.postBuffer=1024', 'push', '--quiet', 'origin', 'main'], { cwd: dir });
    expect(gitCli(['--git-dir', gitdir, 'log', '-1', '--format=%s', 'main']).trim()).toBe('big');
    expect(gitCli(['--git-dir', gitdir, 'ls-tree', '--name-only', 'main']).split('\n').filter(Boolean)).toHaveLength(41);
  });

  it('inflates gzip request bodies (as the git CLI sends for large fetch negotiations)', async () => {
    const gitdir = server.createRepo('gzip', { files: { 'a.txt': 'a\n' } });
    const head = gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim();
    const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, '0') + s;
    const body = zlib.gzipSync(Buffer.from(pkt(`want ${head}\n`) + '0000' + pkt('done\n')));
    const res = await fetch(`${server.url('gzip')}/git-upload-pack`, {
      method: 'POST',
      body,
      headers: {
        Authorization: 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64'),
        'Content-Type': 'application/x-git-upload-pack-request',
        'Content-Encoding': 'gzip',
      },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).includes('PACK')).toBe(true);
  });

  it('answers 401 with WWW-Authenticate: Basic to missing or wrong credentials, and nothing changes', async () => {
    const gitdir = server.createRepo('auth', { files: { 'a.txt': 'a\n' } });
    const before = gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim();

    const anonymous = await fetch(`${server.url('auth')}/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);

    const wrong = await fetch(`${server.url('auth')}/info/refs?service=git-receive-pack`, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${USER}:nope`).toString('base64') },
    });
    expect(wrong.status).toBe(401);

    // A clone with good credentials, then a push with bad ones.
    const dir = path.join(work, 'auth');
    await git.clone({ fs, http, dir, url: server.url('auth'), onAuth, singleBranch: true });
    fs.writeFileSync(path.join(dir, 'b.txt'), 'b\n');
    await git.add({ fs, dir, filepath: 'b.txt' });
    await git.commit({ fs, dir, message: 'should not land', author });
    await expect(
      git.push({ fs, http, dir, onAuth: () => ({ username: USER, password: 'wrong' }), onAuthFailure: () => ({ cancel: true }) }),
    ).rejects.toThrow(/canceled/);
    await expect(git.push({ fs, http, dir })).rejects.toThrow(/401/);
    expect(gitCli(['--git-dir', gitdir, 'rev-parse', 'main']).trim()).toBe(before);
  });

  it('can be taken down (connection refused or 503) and brought back on the same port', async () => {
    server.createRepo('down', { files: { 'a.txt': 'a\n' } });
    const url = server.url('down');
    const headers = { Authorization: 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64') };
    await server.setDown(true);
    await expect(fetch(`${url}/info/refs?service=git-upload-pack`, { headers })).rejects.toThrow();
    await server.setDown('503');
    expect((await fetch(`${url}/info/refs?service=git-upload-pack`, { headers })).status).toBe(503);
    await server.setDown(false);
    expect(server.url('down')).toBe(url);
    const ok = await fetch(`${url}/info/refs?service=git-upload-pack`, { headers });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
  });
});
