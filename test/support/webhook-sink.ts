import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SinkResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** Decides the answer to the n-th request (1-based) for a path. */
export type Responder = (request: ReceivedRequest, n: number) => SinkResponse;

/** A real HTTP server that records what it receives and answers as a test tells it to. */
export class WebhookSink {
  readonly received: ReceivedRequest[] = [];
  private readonly responders = new Map<string, Responder>();
  private server: Server | undefined;
  private port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ReceivedRequest = {
          at: Date.now(),
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(request);
        const n = this.received.filter((r) => r.path === request.path).length;
        const respond: Responder =
          this.responders.get(request.path) ?? (() => ({ status: 200, body: 'ok' }));
        const answer = respond(request, n);
        setTimeout(() => {
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body ?? '');
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, responder: Responder): void {
    this.responders.set(path, responder);
  }

  requestsTo(path: string): ReceivedRequest[] {
    return this.received.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
