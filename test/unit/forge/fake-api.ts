// A local HTTP server standing in for a forge's REST API in tests: it records every request
// (method, raw path with query, headers, JSON body) and answers from a route table, as the real
// API would (shapes from the public API docs). Anything unrouted is a 404 the test will see.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  /** Path and query exactly as sent (percent-encoding kept). */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Route = (req: Recorded) => Answer | undefined;

export class FakeApi {
  readonly requests: Recorded[] = [];
  routes: Route[] = [];
  private server!: http.Server;
  origin = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        this.requests.push(rec);
        let answer: Answer | undefined;
        for (const r of this.routes) if ((answer = r(rec))) break;
        answer ??= { status: 404, body: { message: 'Not Found' } };
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  reset(...routes: Route[]): void {
    this.requests.length = 0;
    this.routes = routes;
  }

  /** A route answering `method path` (path with query, exact, or a RegExp on it). */
  static on(method: string, path: string | RegExp, answer: Answer | ((req: Recorded) => Answer)): Route {
    return (req) => (req.method === method && (typeof path === 'string' ? req.url === path : path.test(req.url)) ? (typeof answer === 'function' ? answer(req) : answer) : undefined);
  }
}

export const failure = (p: Promise<unknown>): Promise<Error & { kind?: string; status?: number; retryAfterSeconds?: number }> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );
