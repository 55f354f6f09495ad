// A misbehaving HTTP front for the real Git server (git-server.ts), for fault tests: it forwards
// every request unchanged, except when told to answer 500, to answer slowly, or to cut a push
// (git-receive-pack) before the server sees it or after the server applied it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'none' }
  /** Answer 500 to the next `count` requests. */
  | { kind: '500'; count: number }
  /** Hold every answer back this long. */
  | { kind: 'slow'; ms: number }
  /** Drop the connection of the next push before forwarding it: the server never sees it. */
  | { kind: 'drop-push-request' }
  /** Forward the next push, then drop the connection instead of relaying the answer: it was applied. */
  | { kind: 'drop-push-answer' }
  /** Refuse the next push without forwarding it, worded as a forge words it (`ng <ref> <reason>`). */
  | { kind: 'reject-push'; reason: string }
  /** Hold the next push without forwarding it, until the client goes away (it is never applied). */
  | { kind: 'hold-push-request' }
  /** Forward the next push (the server applies it), then hold the answer until the client goes away. */
  | { kind: 'hold-push-answer' };

export interface FaultyProxy {
  /** Base URL (`http://127.0.0.1:<port>`): replace the Git server's base with it. */
  readonly base: string;
  set(fault: Fault): void;
  /** Pushes that reached the Git server through the proxy. */
  readonly pushesForwarded: number;
  /** Resolves once a push is being held (hold-push-request: received; hold-push-answer: applied by the server). */
  held(): Promise<void>;
  stop(): Promise<void>;
}

const pkt = (payload: Buffer | string): Buffer => {
  const body = Buffer.from(payload);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
};

/** A receive-pack answer refusing the request's ref update, side-band framed when the request asked for it. */
function reportStatus(request: Buffer, reason: string): Buffer {
  const len = parseInt(request.subarray(0, 4).toString('latin1'), 16);
  const first = request.subarray(4, len).toString('utf8');
  const ref = first.split('\0')[0]!.split(' ')[2]!;
  const report = Buffer.concat([pkt('unpack ok\n'), pkt(`ng ${ref} ${reason}\n`), Buffer.from('0000')]);
  if (!/\bside-band-64k\b/.test(first)) return report;
  return Buffer.concat([pkt(Buffer.concat([Buffer.from([1]), report])), Buffer.from('0000')]);
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const to = new URL(target);
  let fault: Fault = { kind: 'none' };
  let pushesForwarded = 0;
  let onHeld: (() => void) | undefined;
  let heldNow = false;
  const hold = (req: http.IncomingMessage) => {
    heldNow = true;
    onHeld?.();
    onHeld = undefined;
    req.socket.on('close', () => (heldNow = false));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isPush = req.method === 'POST' && (req.url ?? '').endsWith('/git-receive-pack');
      if (fault.kind === '500') {
        if (--fault.count <= 0) fault = { kind: 'none' };
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('injected failure');
        return;
      }
      if (isPush && fault.kind === 'reject-push') {
        const reason = fault.reason;
        fault = { kind: 'none' };
        res.writeHead(200, { 'Content-Type': 'application/x-git-receive-pack-result' }).end(reportStatus(Buffer.concat(chunks), reason));
        return;
      }
      if (isPush && fault.kind === 'hold-push-request') {
        fault = { kind: 'none' };
        hold(req); // never forwarded, never answered
        return;
      }
      if (isPush && fault.kind === 'drop-push-request') {
        fault = { kind: 'none' };
        req.socket.destroy();
        return;
      }
      const dropAnswer = isPush && fault.kind === 'drop-push-answer';
      const holdAnswer = isPush && fault.kind === 'hold-push-answer';
      if (dropAnswer || holdAnswer) fault = { kind: 'none' };
      const delay = fault.kind === 'slow' ? fault.ms : 0;
      const upstream = http.request(
        { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: to.host } },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (isPush) pushesForwarded++;
            if (dropAnswer) {
              req.socket.destroy();
              return;
            }
            if (holdAnswer) return hold(req); // applied; the answer never leaves
            setTimeout(() => {
              if (res.destroyed) return;
              res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
            }, delay);
          });
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    set: (f) => void (fault = f),
    get pushesForwarded() {
      return pushesForwarded;
    },
    held: () => (heldNow ? Promise.resolve() : new Promise<void>((resolve) => (onHeld = resolve))),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
