// The pieces of Git's smart-HTTP protocol (v0/v1, stateless) the sink speaks itself: ref discovery
// (`GET info/refs`), a fetch (`POST git-upload-pack`) and a push (`POST git-receive-pack` with a
// pack of exactly the objects we wrote). isomorphic-git's own push walks the whole tree of the new
// commit and of the merge base to find what to send, far too slow for large repositories (we
// already know the answer); its fetch cannot ask for a partial clone (`filter blob:none`: the sink
// never reads a blob it did not write) and indexes the pack in JavaScript (seconds for 50,000
// files), so the fetch is ours too and its pack is indexed with node:zlib (pack.ts).
import { HttpStatusError } from './errors.js';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export interface RequestOptions {
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Per request, default 60 s. */
  timeoutMs?: number;
}

function requestSignal(opts: RequestOptions): AbortSignal {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
  return opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
}

/** Encode one pkt-line. */
export function pktLine(payload: string | Uint8Array): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data]);
}

/** Decode a buffer of pkt-lines; flush packets (`0000`) come back as `null`. */
export function parsePktLines(buf: Buffer): (Buffer | null)[] {
  const out: (Buffer | null)[] = [];
  let i = 0;
  while (i + 4 <= buf.length) {
    const len = parseInt(buf.subarray(i, i + 4).toString('latin1'), 16);
    if (Number.isNaN(len)) throw new Error('malformed pkt-line in server answer');
    if (len === 0 || len === 1 || len === 2) {
      out.push(null);
      i += 4;
      continue;
    }
    if (len < 4 || i + len > buf.length) throw new Error('truncated pkt-line in server answer');
    out.push(buf.subarray(i + 4, i + len));
    i += len;
  }
  return out;
}

function httpError(status: number, body: Buffer): HttpStatusError {
  const text = body.subarray(0, 300).toString('utf8').replace(/\s+/g, ' ').trim();
  return new HttpStatusError(status, `HTTP ${status}`, text);
}

export interface Advertisement {
  /** Full ref name → oid. */
  refs: Map<string, string>;
  capabilities: Set<string>;
}

/** `GET <url>/info/refs?service=<service>` (protocol v0/v1 advertisement). */
export async function discoverRefs(
  url: string,
  service: 'git-upload-pack' | 'git-receive-pack',
  opts: RequestOptions,
): Promise<Advertisement> {
  const res = await fetch(`${url}/info/refs?service=${service}`, {
    headers: { ...opts.headers, Accept: `application/x-${service}-advertisement`, 'User-Agent': 'git/kure' },
    signal: requestSignal(opts),
  });
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw httpError(res.status, body);
  if (res.headers.get('content-type') !== `application/x-${service}-advertisement`) {
    throw new Error(`not a smart-HTTP Git server (content-type ${res.headers.get('content-type') ?? 'none'})`);
  }
  const refs = new Map<string, string>();
  const capabilities = new Set<string>();
  let first = true;
  for (const line of parsePktLines(body)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('# service=')) continue;
    let refPart = text;
    if (first) {
      const nul = text.indexOf('\0');
      if (nul >= 0) {
        for (const c of text.slice(nul + 1).split(' ')) if (c) capabilities.add(c);
        refPart = text.slice(0, nul);
      }
      first = false;
    }
    const [oid, name] = refPart.split(' ');
    if (oid && name && oid !== ZERO_OID && !name.endsWith('^{}')) refs.set(name, oid);
  }
  return { refs, capabilities };
}

export interface FetchRequest {
  want: string;
  /** Commits we hold: the server leaves out what they reach. */
  haves: string[];
  /** Our shallow boundary (commits whose parents we lack), so the server does not assume them. */
  shallow: string[];
  /** Commits of history to send (1: the wanted commit only). Needs the server's `shallow` capability. */
  depth?: number;
  /** A partial clone filter (`blob:none`). Needs the server's `filter` capability. */
  filter?: string;
}

export interface FetchResult {
  pack: Buffer;
  /** The server's new shallow boundary, and commits that are no longer shallow. */
  shallow: string[];
  unshallow: string[];
}

/** The server no longer advertises the commit we asked for (the branch moved meanwhile): discover again. */
export class StaleWantError extends Error {}

/** `POST <url>/git-upload-pack`: one stateless round (wants, haves, done) and the pack it answers with. */
export async function uploadPack(url: string, capabilities: Set<string>, req: FetchRequest, opts: RequestOptions): Promise<FetchResult> {
  const sideband = capabilities.has('side-band-64k') ? 'side-band-64k' : capabilities.has('side-band') ? 'side-band' : undefined;
  const caps = [sideband, 'ofs-delta', 'no-progress', req.depth !== undefined || req.shallow.length > 0 ? 'shallow' : undefined, req.filter ? 'filter' : undefined]
    .filter((c): c is string => c !== undefined && capabilities.has(c))
    .concat('agent=git/kure');
  const lines: Buffer[] = [pktLine(`want ${req.want} ${caps.join(' ')}\n`)];
  if (capabilities.has('shallow')) {
    for (const s of req.shallow) lines.push(pktLine(`shallow ${s}\n`));
    if (req.depth !== undefined) lines.push(pktLine(`deepen ${req.depth}\n`));
  }
  if (req.filter && capabilities.has('filter')) lines.push(pktLine(`filter ${req.filter}\n`));
  lines.push(Buffer.from('0000'));
  for (const h of req.haves) lines.push(pktLine(`have ${h}\n`));
  lines.push(pktLine('done\n'));

  const res = await fetch(`${url}/git-upload-pack`, {
    method: 'POST',
    headers: {
      ...opts.headers,
      'Content-Type': 'application/x-git-upload-pack-request',
      Accept: 'application/x-git-upload-pack-result',
      'User-Agent': 'git/kure',
    },
    body: Buffer.concat(lines),
    signal: requestSignal(opts),
  });
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw httpError(res.status, body);

  const shallow: string[] = [];
  const unshallow: string[] = [];
  const pack: Buffer[] = [];
  let i = 0;
  while (i < body.length) {
    if (!sideband && body.toString('latin1', i, i + 4) === 'PACK') {
      pack.push(body.subarray(i)); // without side-band the pack follows the last pkt-line as is
      break;
    }
    const len = parseInt(body.toString('latin1', i, i + 4), 16);
    if (Number.isNaN(len) || (len > 0 && len < 4) || i + Math.max(len, 4) > body.length) throw new Error('malformed answer from git-upload-pack');
    const payload = body.subarray(i + 4, i + len);
    i += Math.max(len, 4);
    if (len === 0) continue;
    const band = payload[0];
    if (sideband && (band === 1 || band === 2 || band === 3)) {
      if (band === 1) pack.push(payload.subarray(1));
      else if (band === 3) throw new Error(`git-upload-pack: ${payload.subarray(1).toString('utf8').trim()}`);
      continue;
    }
    const text = payload.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('shallow ')) shallow.push(text.slice(8));
    else if (text.startsWith('unshallow ')) unshallow.push(text.slice(10));
    else if (text.startsWith('ERR ')) {
      if (/not our ref|not a valid object|want .* not valid/i.test(text)) throw new StaleWantError(text.slice(4));
      throw new Error(`git-upload-pack: ${text.slice(4)}`);
    }
    // ACK/NAK: the negotiation's answer; nothing to do with it in a single round.
  }
  if (pack.length === 0) throw new Error('git-upload-pack sent no pack');
  return { pack: Buffer.concat(pack), shallow, unshallow };
}

export interface PushOutcome {
  ok: boolean;
  /** `unpack ok`, or the unpack error. */
  unpack: string;
  /** The server's reason when the ref update was refused (`fetch first`, `failed to update ref`, ...). */
  reason?: string;
  /**
   * What the server said to the user on side-band 2 (hook output, "remote: ..." lines): the text a
   * pre-receive hook gives for declining a push. Untrusted: callers scrub, strip and cap it.
   */
  messages?: string;
}

/**
 * `POST <url>/git-receive-pack`: move `ref` from `oldOid` to `newOid` (compare-and-swap on the
 * server), sending `pack` (a packfile with every object the remote lacks).
 */
export async function receivePack(
  url: string,
  update: { ref: string; oldOid: string; newOid: string },
  pack: Uint8Array,
  opts: RequestOptions & { sideband?: boolean },
): Promise<PushOutcome> {
  // With side-band-64k the server multiplexes the report (band 1) with hook output (band 2).
  const caps = opts.sideband ? 'report-status side-band-64k' : 'report-status';
  const body = Buffer.concat([
    pktLine(`${update.oldOid} ${update.newOid} ${update.ref}\0 ${caps} agent=git/kure\n`),
    Buffer.from('0000'),
    pack,
  ]);
  
  const res = await fetch(`${url}/git-receive-pack`, {
    method: 'POST',
    headers: {
      ...opts.headers,
      'Content-Type': 'application/x-git-receive-pack-request',
      Accept: 'application/x-git-receive-pack-result',
      'User-Agent': 'git/kure',
    },
    body,
    signal: requestSignal(opts),
  });
  const answer = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw httpError(res.status, answer);
  let report = answer;
  let messages = '';
  if (opts.sideband) {
    const bands: Buffer[] = [];
    for (const line of parsePktLines(answer)) {
      if (line === null || line.length === 0) continue;
      const band = line[0];
      if (band === 1) bands.push(line.subarray(1));
      else if (band === 2 || band === 3) messages += line.subarray(1).toString('utf8');
    }
    report = Buffer.concat(bands);
  }
  const said = messages.trim() ? { messages: messages.trim() } : {};
  let unpack = '';
  let ok = false;
  let reason: string | undefined;
  for (const line of parsePktLines(report)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('unpack ')) unpack = text.slice('unpack '.length);
    else if (text === `ok ${update.ref}`) ok = true;
    else if (text.startsWith(`ng ${update.ref} `)) reason = text.slice(`ng ${update.ref} `.length);
  }
  if (unpack !== 'ok') return { ok: false, unpack: unpack || 'no report from server', reason: reason ?? `unpack ${unpack}`, ...said };
  return reason === undefined && ok ? { ok, unpack, ...said } : { ok: false, unpack, reason: reason ?? 'no status for the branch', ...said };
}

/** Reasons receive-pack gives when the branch moved under us: fetch, rebuild and retry. */
export function isStaleRefReason(reason: string): boolean {
  // git's own wordings (GitHub, Gitea and plain git http-backend relay them), and GitLab's (Gitaly).
  return /fetch first|non-fast-forward|failed to update ref|failed to lock|cannot lock ref|stale info|reference already exists|but expected|incorrect old value provided/i.test(
    reason,
  );
}
