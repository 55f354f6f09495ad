// Pure helpers of the branch semantics, the PR mode and the signing (the real-server tests are in
// test/integration/forge).
import * as openpgp from 'openpgp';
import { defaultBranch } from '../../../src/git/sink.js';
import { pgpOnSign, pgpSigner, withSignature } from '../../../src/git/sign.js';
import { pullRequestBranch } from '../../../src/forge/pull-request.js';
import { forgeFor } from '../../../src/forge/factory.js';
import { ForgeError } from '../../../src/forge/types.js';
import { GiteaForge } from '../../../src/forge/gitea.js';

describe('defaultBranch', () => {
  it("is HEAD's symref when advertised", () => {
    const refs = new Map([['HEAD', 'a'], ['refs/heads/main', 'a'], ['refs/heads/trunk', 'b']]);
    expect(defaultBranch({ refs, capabilities: new Set(['symref=HEAD:refs/heads/trunk', 'side-band-64k']) })).toBe('refs/heads/trunk');
  });
  it('else the branch HEAD points at (main, master, then the first by name); none without HEAD', () => {
    const refs = new Map([['HEAD', 'a'], ['refs/heads/zeta', 'a'], ['refs/heads/main', 'a'], ['refs/heads/dev', 'b']]);
    expect(defaultBranch({ refs, capabilities: new Set() })).toBe('refs/heads/main');
    expect(defaultBranch({ refs: new Map([['HEAD', 'a'], ['refs/heads/y', 'a'], ['refs/heads/x', 'a']]), capabilities: new Set() })).toBe('refs/heads/x');
    expect(defaultBranch({ refs: new Map([['refs/heads/main', 'a']]), capabilities: new Set() })).toBeUndefined();
  });
});

describe('pullRequestBranch', () => {
  it('is <prefix>/<namespace>/<cluster>, prefix kure by default', () => {
    expect(pullRequestBranch('team-a', 'prod')).toBe('kure/team-a/prod');
    expect(pullRequestBranch('team-a', 'prod', 'bots/kure/')).toBe('bots/kure/team-a/prod');
  });
});

describe('forgeFor and GiteaForge.fromCloneUrl', () => {
  it('derives owner, repository and API root from the clone URL (with a path prefix)', () => {
    const f = GiteaForge.fromCloneUrl('https://git.example.com/sub/platform/fleet.git', { token: 't' }) as unknown as { base: string };
    expect(f.base).toBe('https://git.example.com/sub/api/v1/repos/platform/fleet');
  });
  it('builds GitHub and GitLab clients, and refuses missing credentials with a ForgeError naming the field', () => {
    expect(forgeFor('github', 'https://github.com/a/b.git', { token: 't' }).name).toBe('github');
    expect(forgeFor('gitlab', 'https://gitlab.com/a/b.git', { token: 't' }).name).toBe('gitlab');
    expect(() => forgeFor('gitea', 'https://g/a/b.git', {})).toThrow(ForgeError);
    expect(() => forgeFor('gitea', 'https://g/a/b.git', {})).toThrow(/spec.repository.secretRef/);
  });
});

describe('commit signatures', () => {
  const commit = Buffer.from('tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor K <k@x> 1 +0000\ncommitter K <k@x> 1 +0000\n\nsubject\n\nbody\n');

  it('puts the signature in a gpgsig header after the committer, continuation lines indented, message untouched', () => {
    const signed = withSignature(commit, '-----BEGIN PGP SIGNATURE-----\r\n\r\nabc\r\n-----END PGP SIGNATURE-----\r\n').toString();
    expect(signed).toBe(
      'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor K <k@x> 1 +0000\ncommitter K <k@x> 1 +0000\n' +
        'gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsubject\n\nbody\n',
    );
  });

  it('signs the exact bytes (trailing spaces and CRs included): the detached signature verifies over the payload', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [{ name: 'K', email: 'k@example.com' }], format: 'armored' });
    const payload = 'tree x\n\nline with trailing space \r\nend\n';
    const { signature } = await pgpOnSign({ payload, secretKey: privateKey });
    const ok = await openpgp.verify({
      message: await openpgp.createMessage({ binary: Buffer.from(payload) }),
      signature: await openpgp.readSignature({ armoredSignature: signature }),
      verificationKeys: await openpgp.readKey({ armoredKey: publicKey }),
    });
    await expect(ok.signatures[0]!.verified).resolves.toBe(true);
    const tampered = await openpgp.verify({
      message: await openpgp.createMessage({ binary: Buffer.from(payload.replace('space ', 'space')) }),
      signature: await openpgp.readSignature({ armoredSignature: signature }),
      verificationKeys: await openpgp.readKey({ armoredKey: publicKey }),
    });
    await expect(tampered.signatures[0]!.verified).rejects.toThrow();
  });

  it('an encrypted key without a passphrase, or garbage, is a clear error', async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'K', email: 'k@example.com' }], passphrase: 'pw', format: 'armored' });
    await expect(pgpSigner({ armoredKey: privateKey })('x')).rejects.toThrow(/is encrypted and no passphrase was given/);
    await expect(pgpSigner({ armoredKey: 'not a key' })('x')).rejects.toThrow(/not an armored OpenPGP private key/);
  });
});
