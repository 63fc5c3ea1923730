import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

/** How long the sink takes to answer a request under /slow/: a recipient that does some work. */
export const SLOW_RESPONSE_MS = 20;

/**
 * The webhook sink: a plain node http server on a worker thread of its own (so the benchmark's
 * publisher does not delay it), answering 200 at once (after SLOW_RESPONSE_MS under /slow/, never
 * under /hang/: a recipient that accepts the connection and does not answer) and recording, per
 * benchmark phase, when
 * each (endpoint path, webhook-id) first arrived and how often it came again.
 */

export interface PhaseProgress {
  /** Requests received, duplicates included. */
  requests: number;
  /** Distinct (path, webhook-id) pairs: deliveries attempted. */
  distinct: number;
  /** Requests for a (path, webhook-id) already seen. */
  duplicates: number;
  /** High-resolution epoch milliseconds of the first and last arrival. */
  firstAt: number;
  lastAt: number;
}

export interface PhaseResult extends PhaseProgress {
  /** Publish -> first arrival, ms, one per distinct delivery. */
  latencies: Float64Array;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across threads. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

interface PhaseState extends PhaseProgress {
  seen: Set<string>;
  latencies: number[];
}

type Question = { kind: 'progress' | 'take'; phase: string } | { kind: 'stop' };
type Request = Question & { id: number };

interface Reply {
  id: number;
  result?: PhaseProgress | PhaseResult | null;
}

export class WebhookSink {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();

  private constructor(
    private readonly worker: Worker,
    readonly port: number,
  ) {
    worker.on('message', (reply: Reply) => {
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  static async start(): Promise<WebhookSink> {
    const worker = new Worker(__filename);
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (message: { port: number }) => resolve(message.port));
      worker.once('error', reject);
    });
    return new WebhookSink(worker, port);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async progress(phase: string): Promise<PhaseProgress> {
    const result = (await this.ask({ kind: 'progress', phase })).result;
    return result ?? { requests: 0, distinct: 0, duplicates: 0, firstAt: 0, lastAt: 0 };
  }

  /** The phase's figures, forgotten by the sink afterwards. */
  async take(phase: string): Promise<PhaseResult> {
    const result = (await this.ask({ kind: 'take', phase })).result as PhaseResult | null;
    return (
      result ?? {
        requests: 0,
        distinct: 0,
        duplicates: 0,
        firstAt: 0,
        lastAt: 0,
        latencies: new Float64Array(),
      }
    );
  }

  async stop(): Promise<void> {
    await this.ask({ kind: 'stop' });
    await this.worker.terminate();
  }

  private ask(request: Question): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ ...request, id });
    });
  }
}

function runSink(): void {
  const port = parentPort!;
  const phases = new Map<string, PhaseState>();

  const record = (path: string, webhookId: string, body: string, at: number): void => {
    let phase = 'unknown';
    let sentAt = Number.NaN;
    try {
      const parsed = JSON.parse(body) as { data?: { phase?: unknown; sentAt?: unknown } };
      if (typeof parsed.data?.phase === 'string') phase = parsed.data.phase;
      if (typeof parsed.data?.sentAt === 'number') sentAt = parsed.data.sentAt;
    } catch {
      // not one of ours: counted under "unknown"
    }
    let state = phases.get(phase);
    if (state === undefined) {
      state = {
        requests: 0,
        distinct: 0,
        duplicates: 0,
        firstAt: at,
        lastAt: at,
        seen: new Set(),
        latencies: [],
      };
      phases.set(phase, state);
    }
    state.requests += 1;
    const key = `${path} ${webhookId}`;
    if (state.seen.has(key)) {
      state.duplicates += 1;
      return;
    }
    state.seen.add(key);
    state.distinct += 1;
    state.lastAt = at;
    state.latencies.push(at - sentAt);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = preciseNow();
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
      };
      if (req.url?.startsWith('/slow/') === true) setTimeout(answer, SLOW_RESPONSE_MS);
      else if (req.url?.startsWith('/hang/') !== true) answer();
      const webhookId = req.headers['webhook-id'];
      record(
        req.url ?? '/',
        typeof webhookId === 'string' ? webhookId : '',
        Buffer.concat(chunks).toString('utf8'),
        at,
      );
    });
  });
  server.keepAliveTimeout = 30_000;

  port.on('message', (request: Request) => {
    if (request.kind === 'stop') {
      server.closeAllConnections();
      server.close(() => port.postMessage({ id: request.id } satisfies Reply));
      return;
    }
    const state = phases.get(request.phase);
    if (state === undefined) {
      port.postMessage({ id: request.id, result: null } satisfies Reply);
      return;
    }
    const { requests, distinct, duplicates, firstAt, lastAt } = state;
    const progress: PhaseProgress = { requests, distinct, duplicates, firstAt, lastAt };
    if (request.kind === 'progress') {
      port.postMessage({ id: request.id, result: progress } satisfies Reply);
      return;
    }
    phases.delete(request.phase);
    const latencies = Float64Array.from(state.latencies);
    port.postMessage({ id: request.id, result: { ...progress, latencies } } satisfies Reply, [
      latencies.buffer,
    ]);
  });

  server.listen(0, '127.0.0.1', () => {
    port.postMessage({ port: (server.address() as AddressInfo).port });
  });
}

if (!isMainThread) runSink();
