// The HTTP endpoints of the controller: /metrics (Prometheus text), /healthz (the process serves),
// /readyz (every informer has synced and is watching). Bound to --metrics-addr.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { parseListenAddress } from './options.js';

export interface HealthSource {
  /** Names of unhealthy informers (empty: ready). */
  unready(): string[];
  /** Extra lines for /healthz and /readyz bodies (leader state...). */
  info?(): Record<string, string>;
}

export interface MetricsServer {
  server: Server;
  /** "host:port" actually bound. */
  address: string;
  close(): Promise<void>;
}

export async function startMetricsServer(addr: string, registry: Registry, health: HealthSource): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(addr);
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    const info = () =>
      Object.entries(health.info?.() ?? {})
        .map(([k, v]) => `${k}: ${v}\n`)
        .join('');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    switch (url) {
      case '/metrics':
        registry.metrics().then(
          (text) => send(200, text, registry.contentType),
          (err: unknown) => send(500, `metrics failed: ${(err as Error).message}\n`),
        );
        return;
      case '/healthz':
      case '/livez':
        return send(200, `ok\n${info()}`);
      case '/readyz': {
        const bad = health.unready();
        return bad.length ? send(503, `not ready: informers not synced or failing: ${bad.join(', ')}\n${info()}`) : send(200, `ok\n${info()}`);
      }
      default:
        return send(404, 'not found\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    server,
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
