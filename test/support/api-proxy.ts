// An HTTPS front for the real API server that can play the part of a compacted etcd: it forwards
// every request (with the test kubeconfig's client certificate, so the controller behind it needs
// no credentials), except that once `compact()` is called, a watch from a resourceVersion at or
// below the compacted one is answered `410 Gone` (as the API server does when etcd has compacted
// that revision away), and lists of a path can be held back until released. The controller sees
// exactly what a real server sends in that case: a 200 whose only event is an ERROR Status with
// code 410 ("event"), or a plain HTTP 410 Status ("status").
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface ApiProxy {
  /** A KubeConfig for the controller: this proxy, TLS not verified, no user credentials. */
  kubeConfig(): KubeConfig;
  /**
   * From now on, watches under `pathPart` from a resourceVersion <= `rv` get 410 (`form` says how),
   * and open watches under it are cut; lists under it are held until releaseLists().
   */
  compact(pathPart: string, rv: number, form: 'event' | 'status'): void;
  /** Lets the held lists (and later ones) through. */
  releaseLists(): void;
  /** Lists held right now. */
  readonly heldLists: number;
  /** 410 answers given. */
  readonly goneAnswers: number;
  /** Lists forwarded under the compacted path since compact(). */
  readonly listsAfterCompact: number;
  stop(): Promise<void>;
}

function selfSigned(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kure-api-proxy-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startApiProxy(upstream: KubeConfig): Promise<ApiProxy> {
  const cluster = upstream.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const target = new URL(cluster.server);
  const tls: https.RequestOptions = {};
  await upstream.applyToHTTPSOptions(tls);

  let compacted: { pathPart: string; rv: number; form: 'event' | 'status' } | undefined;
  let holdLists = false;
  const held: (() => void)[] = [];
  let goneAnswers = 0;
  let listsAfterCompact = 0;
  const watches = new Set<{ pathname: string; socket: Socket }>();
  const sockets = new Set<Socket>();

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, onStream?: (s: Socket) => () => void) => {
    const headers = { ...req.headers, host: target.host };
    delete headers.authorization;
    const up = https.request(
      { ...tls, host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const done = onStream?.(req.socket);
        answer.pipe(res);
        answer.on('close', () => done?.());
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    up.end(body);
  };

  const gone = (res: http.ServerResponse, rv: number, form: 'event' | 'status') => {
    goneAnswers++;
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rv} (${rv + 1})`, reason: 'Expired', code: 410 };
    if (form === 'status') {
      res.writeHead(410, { 'Content-Type': 'application/json' }).end(JSON.stringify(status));
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
    }
  };

  const { key, cert } = selfSigned();
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'https://proxy');
      const isWatch = req.method === 'GET' && u.searchParams.get('watch') === 'true';
      const under = compacted !== undefined && u.pathname.includes(compacted.pathPart);
      const body = Buffer.concat(chunks);
      if (isWatch) {
        const rv = Number(u.searchParams.get('resourceVersion') ?? '');
        if (under && compacted && Number.isFinite(rv) && rv > 0 && rv <= compacted.rv) return gone(res, rv, compacted.form);
        return forward(req, res, body, (socket) => {
          const w = { pathname: u.pathname, socket };
          watches.add(w);
          return () => watches.delete(w);
        });
      }
      if (req.method === 'GET' && under) {
        const go = () => {
          listsAfterCompact++;
          forward(req, res, body);
        };
        if (holdLists) held.push(go);
        else go();
        return;
      }
      forward(req, res, body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'proxy', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
        users: [{ name: 'proxy' }],
        contexts: [{ name: 'proxy', cluster: 'proxy', user: 'proxy' }],
        currentContext: 'proxy',
      });
      return kc;
    },
    compact(pathPart, rv, form) {
      compacted = { pathPart, rv, form };
      holdLists = true;
      listsAfterCompact = 0;
      for (const w of [...watches]) if (w.pathname.includes(pathPart)) w.socket.destroy();
    },
    releaseLists() {
      holdLists = false;
      for (const go of held.splice(0)) go();
    },
    get heldLists() {
      return held.length;
    },
    get goneAnswers() {
      return goneAnswers;
    },
    get listsAfterCompact() {
      return listsAfterCompact;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
