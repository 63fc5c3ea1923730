import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = 'ok' | 'fail' | 'hang';

/** One request as a path received it. */
export interface ReceivedRequest {
  at: number;
  id: string | undefined;
  /** The body's `data`; undefined when the body is not JSON or has none. */
  data: unknown;
}

/**
 * A webhook recipient with one behaviour per path: answer 200, answer 500, or never answer. Per
 * path it records when each request arrived, how many were open at once, how many times it
 * saw each `webhook-id` (recipients deduplicate on it: a second sighting is a duplicate), and each
 * request's arrival, `webhook-id` and payload (`data`), in arrival order.
 */
export class Recipient {
  readonly arrivals = new Map<string, number[]>();
  readonly maxOpen = new Map<string, number>();
  readonly seen = new Map<string, Map<string, number>>();
  readonly requests = new Map<string, ReceivedRequest[]>();
  private readonly open = new Map<string, number>();
  private readonly answers = new Map<string, Answer>();
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '/';
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const at = Date.now();
        const arrivals = this.arrivals.get(path) ?? [];
        arrivals.push(at);
        this.arrivals.set(path, arrivals);
        const header = req.headers['webhook-id'];
        const id = typeof header === 'string' ? header : undefined;
        this.recordRequest(path, { at, id }, Buffer.concat(chunks));
        if (id !== undefined) {
          const ids = this.seen.get(path) ?? new Map<string, number>();
          ids.set(id, (ids.get(id) ?? 0) + 1);
          this.seen.set(path, ids);
        }
        const open = (this.open.get(path) ?? 0) + 1;
        this.open.set(path, open);
        this.maxOpen.set(path, Math.max(open, this.maxOpen.get(path) ?? 0));
        res.on('close', () => this.open.set(path, (this.open.get(path) ?? 1) - 1));
        switch (this.answers.get(path) ?? 'ok') {
          case 'ok':
            res.writeHead(200).end('ok');
            return;
          case 'fail':
            res.writeHead(500).end('down');
            return;
          case 'hang':
            return;
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  answer(path: string, answer: Answer): void {
    this.answers.set(path, answer);
  }

  count(path: string): number {
    return this.arrivals.get(path)?.length ?? 0;
  }

  /** The distinct webhook-ids a path received. */
  ids(path: string): Set<string> {
    return new Set(this.seen.get(path)?.keys() ?? []);
  }

  /** Requests beyond the first for each webhook-id. */
  duplicates(path: string): number {
    return [...(this.seen.get(path)?.values() ?? [])].reduce((sum, n) => sum + n - 1, 0);
  }

  /** When each request beyond the first for its webhook-id arrived, in arrival order. */
  duplicateArrivals(path: string): number[] {
    const seen = new Set<string>();
    return (this.requests.get(path) ?? []).flatMap(({ at, id }) => {
      if (id === undefined) return [];
      if (seen.has(id)) return [at];
      seen.add(id);
      return [];
    });
  }

  private recordRequest(
    path: string,
    { at, id }: Omit<ReceivedRequest, 'data'>,
    body: Buffer,
  ): void {
    let data: unknown;
    try {
      data = (JSON.parse(body.toString('utf8')) as { data?: unknown }).data;
    } catch {
      // not JSON: recorded without data
    }
    const requests = this.requests.get(path) ?? [];
    requests.push({ at, id, data });
    this.requests.set(path, requests);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
