// Signed commits: the sink signs every commit with an OpenPGP key (src/git/sign.ts, OpenPGP.js),
// and a real Gitea 1.26 shows them as verified once the public key is registered for the bot (with
// Gitea's token-signature proof). An unsigned commit is not verified, so the check can fail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { GitError, GitSink, type GitTarget } from '../../../src/git/index.js';
import { giteaAvailable, startGitea, type Gitea, type GiteaUser } from '../../support/gitea.js';

const required = process.env.KURE_TEST_REQUIRE_GITEA === '1' || process.env.CI === 'true';
const available = giteaAvailable();
if (!available && required) throw new Error('Gitea is not built (scripts/build-gitea.sh) but the forge tests are required');
const d = available ? describe : describe.skip;

let gitea: Gitea;
let bot: GiteaUser;
let tmp: string;
let key: { privateKey: string; publicKey: string };
const PASSPHRASE = 'sign-test-passphrase-77';

beforeAll(async () => {
  if (!available) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-sign-'));
  gitea = await startGitea({ logFile: path.join(tmp, 'gitea.log') });
  bot = await gitea.createUser('kure-signer');
  key = await openpgp.generateKey({ userIDs: [{ name: 'Kure', email: `${bot.username}@example.com` }], passphrase: PASSPHRASE, format: 'armored' });
  // Register the public key with Gitea's proof of possession: a detached signature of its token.
  const token = await (await fetch(`${gitea.apiUrl}/user/gpg_key_token`, { headers: { Authorization: `token ${bot.token}` } })).text();
  const signingKeys = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: key.privateKey }), passphrase: PASSPHRASE });
  const signature = await openpgp.sign({ message: await openpgp.createMessage({ text: token.trim() }), signingKeys, detached: true });
  await gitea.api('POST', '/user/gpg_keys', { armored_public_key: key.publicKey, armored_signature: signature }, bot);
});
afterAll(async () => {
  if (!available) return;
  await gitea?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function target(repo: string, over: Partial<GitTarget> = {}): GitTarget {
  return {
    url: gitea.repoUrl(bot.username, repo),
    branch: 'main',
    path: 'clusters/prod',
    auth: { token: bot.token },
    author: { name: 'Kure', email: `${bot.username}@example.com` },
    ...over,
  };
}

interface Verification {
  verified: boolean;
  reason: string;
  signature: string;
}
const verification = async (repo: string, sha: string) =>
  (await gitea.api<{ commit: { verification: Verification } }>('GET', `/repos/${bot.username}/${repo}/git/commits/${sha}`, undefined, bot)).commit.verification;

d('signed commits on a real Gitea', () => {
  it('every commit Kure makes is signed, and Gitea shows it verified; an unsigned one is not', async () => {
    await gitea.createRepo(bot, 'signed');
    const sink = new GitSink({ cacheDir: path.join(tmp, 'cache') });
    const signingKey = { armoredKey: key.privateKey, passphrase: PASSPHRASE };
    const one = await sink.sync(target('signed', { signingKey }), new Map([['a.yaml', 'a: 1\n']]), 'kure: render prod (one)');
    const two = await sink.sync(target('signed', { signingKey }), new Map([['a.yaml', 'a: 2\n']]), 'kure: render prod (two)');
    for (const sha of [one.sha, two.sha]) {
      const v = await verification('signed', sha);
      expect(v.signature).toContain('BEGIN PGP SIGNATURE');
      expect(`${v.verified} ${v.reason}`).toMatch(/^true /);
    }
    const unsigned = await sink.sync(target('signed'), new Map([['a.yaml', 'a: 3\n']]), 'kure: render prod (unsigned)');
    expect((await verification('signed', unsigned.sha)).verified).toBe(false);
  });

  it('a wrong passphrase is a clear error naming the key, without the passphrase or the key; nothing is pushed', async () => {
    await gitea.createRepo(bot, 'badkey');
    const before = (await gitea.api<{ commit: { id: string } }>('GET', `/repos/${bot.username}/badkey/branches/main`, undefined, bot)).commit.id;
    const err = await new GitSink({ cacheDir: path.join(tmp, 'cache2') })
      .sync(target('badkey', { signingKey: { armoredKey: key.privateKey, passphrase: 'wrong-passphrase-x' } }), new Map([['a.yaml', 'a\n']]), 'kure')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toMatch(/passphrase of commit signing key [0-9a-f]{16} is wrong/);
    expect((err as GitError).message).not.toContain('wrong-passphrase-x');
    expect((err as GitError).message).not.toContain('PRIVATE KEY');
    expect((await gitea.api<{ commit: { id: string } }>('GET', `/repos/${bot.username}/badkey/branches/main`, undefined, bot)).commit.id).toBe(before);
  });
});
