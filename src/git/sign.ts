// OpenPGP signing of Kure's commits (openpgp, OpenPGP.js). The sink writes commit objects itself
// (pack.ts, never isomorphic-git's commit), so the signature goes in as Git does it: the payload
// is the commit object without signature, and the armored detached signature becomes its `gpgsig`
// header. `pgpOnSign` has the shape of isomorphic-git's `onSign` callback, so the same code signs
// wherever isomorphic-git writes a commit. The key (armored, optionally with a passphrase) comes
// from the repository Secret; it is never logged, and a failure names the key, not its content.
import type * as OpenPGP from 'openpgp';
import { GitError } from './errors.js';

export interface SigningKey {
  /** ASCII-armored OpenPGP private key. */
  armoredKey: string;
  passphrase?: string;
}

/** Returns the armored detached signature of `payload`. */
export type CommitSigner = (payload: string) => Promise<string>;

/** A signer for one key: the key is read (and decrypted) once. */
export function pgpSigner(key: SigningKey): CommitSigner {
  let ready: Promise<{ openpgp: typeof OpenPGP; key: OpenPGP.PrivateKey }> | undefined;
  const load = async (): Promise<{ openpgp: typeof OpenPGP; key: OpenPGP.PrivateKey }> => {
    // Loaded on first use: deployments that do not sign never load OpenPGP.js.
    const openpgp = await import('openpgp');
    let k: OpenPGP.PrivateKey;
    try {
      k = await openpgp.readPrivateKey({ armoredKey: key.armoredKey });
    } catch (err) {
      throw new GitError('other', `the commit signing key is not an armored OpenPGP private key (${(err as Error).message.split('\n')[0]})`);
    }
    if (!k.isDecrypted()) {
      if (!key.passphrase) throw new GitError('other', `the commit signing key ${k.getKeyID().toHex()} is encrypted and no passphrase was given`);
      try {
        k = await openpgp.decryptKey({ privateKey: k, passphrase: key.passphrase });
      } catch {
        throw new GitError('other', `the passphrase of commit signing key ${k.getKeyID().toHex()} is wrong`);
      }
    }
    return { openpgp, key: k };
  };
  return async (payload) => {
    ready ??= load();
    ready.catch(() => (ready = undefined));
    const { openpgp, key: signingKeys } = await ready;
    const message = await openpgp.createMessage({ binary: Buffer.from(payload, 'utf8') });
    return (await openpgp.sign({ message, signingKeys, detached: true, format: 'armored' })) as string;
  };
}

/** isomorphic-git's `onSign` callback (`{ payload, secretKey }` → `{ signature }`), for an unencrypted key. */
export async function pgpOnSign({ payload, secretKey }: { payload: string; secretKey: string }): Promise<{ signature: string }> {
  return { signature: await pgpSigner({ armoredKey: secretKey })(payload) };
}

/** The signed commit object: `gpgsig` header (continuation lines start with a space) after the committer line. */
export function withSignature(unsigned: Buffer, signature: string): Buffer {
  const text = unsigned.toString('utf8');
  const end = text.indexOf('\n\n');
  if (end < 0) throw new Error('malformed commit object');
  const sig = signature.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n').join('\n ');
  return Buffer.from(`${text.slice(0, end)}\ngpgsig ${sig}${text.slice(end)}`);
}
