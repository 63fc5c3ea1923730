import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  decodeWebhookSecret,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
} from '@app/channels';
import { DEFAULT_CLAIM_TTL_MS, MemoryDedupeStore, type DedupeStore } from './dedupe-store';

/** The outbound webhook body (CONTRACT.md "Outbound webhook"), with its `webhook-id`. */
export interface WebhookEvent {
  /** `webhook-id`: the message id, the same on every attempt. */
  id: string;
  type: string;
  /** When the message was created (ISO 8601). */
  timestamp: string;
  data: Record<string, unknown>;
}

export type RejectReason =
  'missing_headers' | 'stale_timestamp' | 'invalid_signature' | 'invalid_body';

export type VerifyResult =
  { ok: true; event: WebhookEvent } | { ok: false; reason: RejectReason; message: string };

export interface HandleResult {
  /** The HTTP status to answer with: 2xx stops the platform's retries, anything else does not. */
  status: number;
  outcome: 'handled' | 'duplicate' | 'in_progress' | 'rejected' | 'failed';
  event?: WebhookEvent;
  reason?: RejectReason;
  message?: string;
}

/** Node's IncomingHttpHeaders, a fetch Headers, or a plain record. */
export type HeaderSource = Headers | Record<string, string | readonly string[] | undefined>;

export interface WebhookRequest {
  headers: HeaderSource;
  /** The raw body, exactly as received: re-serialised JSON does not verify. */
  body: string | Uint8Array;
}

export type WebhookHandler = (event: WebhookEvent) => Promise<void> | void;

export interface WebhookReceiverOptions {
  /** The endpoint's secret(s), `whsec_...`; give old and new during a rotation. */
  secrets: string | readonly string[];
  /** Timestamps further than this from now are refused (replay protection); default 300 s. */
  toleranceSeconds?: number;
  /** Where handled ids are remembered; default a MemoryDedupeStore. Share it with an InboxFollower. */
  dedupe?: DedupeStore;
  /** How long an id is remembered; default 48 h (the default retry schedule spans about 23 h). */
  dedupeTtlMs?: number;
  /**
   * How long an id stays claimed by a handling that has not finished (a hung handler, or a process
   * that died holding it in a shared store) before a retry of it is handled again; default 10 min.
   */
  claimTtlMs?: number;
  /** Largest body the node listener reads; default 1 MiB (the platform caps payloads at 256 KiB). */
  maxBodyBytes?: number;
  now?: () => Date;
}

const STATUS_OF: Record<RejectReason, number> = {
  missing_headers: 400,
  invalid_body: 400,
  stale_timestamp: 401,
  invalid_signature: 401,
};

/**
 * The recipient's side of a webhook: verifies the Standard Webhooks signature (any of the live
 * secrets), refuses stale timestamps, and hands each message id to the handler once. A handler
 * that throws makes the answer a 500, so the platform tries again later.
 */
export class WebhookReceiver {
  private readonly secrets: readonly string[];
  private readonly toleranceSeconds: number;
  private readonly dedupe: DedupeStore;
  private readonly dedupeTtlMs: number;
  private readonly claimTtlMs: number;
  private readonly maxBodyBytes: number;
  private readonly now: () => Date;

  constructor(options: WebhookReceiverOptions) {
    this.secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets;
    if (this.secrets.length === 0) throw new Error('a WebhookReceiver needs at least one secret');
    // A malformed secret is a setup mistake: fail now, not on the first webhook.
    for (const secret of this.secrets) decodeWebhookSecret(secret);
    this.toleranceSeconds = options.toleranceSeconds ?? WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS;
    this.dedupe = options.dedupe ?? new MemoryDedupeStore();
    this.dedupeTtlMs = options.dedupeTtlMs ?? 48 * 3600 * 1000;
    this.claimTtlMs = options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.now = options.now ?? (() => new Date());
  }

  /** Checks headers, timestamp and signature, and parses the body. No side effects. */
  verify(request: WebhookRequest): VerifyResult {
    const id = header(request.headers, WEBHOOK_HEADERS.id);
    const timestamp = header(request.headers, WEBHOOK_HEADERS.timestamp);
    const signature = header(request.headers, WEBHOOK_HEADERS.signature);
    if (!id || !timestamp || !signature) {
      return reject('missing_headers', `${Object.values(WEBHOOK_HEADERS).join(', ')} are required`);
    }
    const now = this.now();
    const seconds = /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    if (
      !Number.isFinite(seconds) ||
      Math.abs(Math.floor(now.getTime() / 1000) - seconds) > this.toleranceSeconds
    ) {
      return reject(
        'stale_timestamp',
        `webhook-timestamp ${timestamp} is not within ${this.toleranceSeconds} s of now`,
      );
    }
    const valid = verifyWebhook({
      secrets: this.secrets,
      headers: { id, timestamp, signature },
      body: request.body,
      now,
      toleranceSeconds: this.toleranceSeconds,
    });
    if (!valid) return reject('invalid_signature', 'no signature matches any of the secrets');
    const event = parseBody(id, request.body);
    return event === undefined
      ? reject('invalid_body', 'the body is not {"type","timestamp","data"} JSON')
      : { ok: true, event };
  }

  /**
   * Verifies, deduplicates and runs the handler. Answer the platform with `result.status`: a
   * duplicate (an id whose handling finished) is answered 200 without running the handler again;
   * an id whose handling is still running is answered 409, so the platform tries again later
   * (that handling may yet fail, and a 2xx would record the delivery as succeeded).
   */
  async handle(request: WebhookRequest, handler: WebhookHandler): Promise<HandleResult> {
    const verified = this.verify(request);
    if (!verified.ok) {
      return {
        status: STATUS_OF[verified.reason],
        outcome: 'rejected',
        reason: verified.reason,
        message: verified.message,
      };
    }
    const { event } = verified;
    const claim = await this.dedupe.claim(event.id, this.claimTtlMs);
    if (claim === 'done') return { status: 200, outcome: 'duplicate', event };
    if (claim === 'in_progress') {
      return {
        status: 409,
        outcome: 'in_progress',
        event,
        message: `${event.id} is being handled by an earlier delivery; try again later`,
      };
    }
    try {
      await handler(event);
    } catch (error) {
      await this.dedupe.release(event.id);
      return {
        status: 500,
        outcome: 'failed',
        event,
        message: error instanceof Error ? error.message : String(error),
      };
    }
    await this.dedupe.complete(event.id, this.dedupeTtlMs);
    return { status: 200, outcome: 'handled', event };
  }

  /**
   * A `node:http` request listener: reads the raw body, runs `handle`, answers with its status.
   * `onResult` sees every outcome (for logs).
   */
  requestListener(
    handler: WebhookHandler,
    onResult?: (result: HandleResult) => void,
  ): (request: IncomingMessage, response: ServerResponse) => void {
    return (request, response) => {
      void this.serve(request, response, handler).then(
        (result) => onResult?.(result),
        () => {
          if (!response.headersSent) response.writeHead(500).end();
        },
      );
    };
  }

  private async serve(
    request: IncomingMessage,
    response: ServerResponse,
    handler: WebhookHandler,
  ): Promise<HandleResult> {
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'POST' }).end();
      return { status: 405, outcome: 'rejected', reason: 'invalid_body', message: 'not a POST' };
    }
    const body = await readBody(request, this.maxBodyBytes);
    const result =
      body === undefined
        ? { status: 413, outcome: 'rejected' as const, reason: 'invalid_body' as const }
        : await this.handle({ headers: request.headers, body }, handler);
    response.writeHead(result.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ outcome: result.outcome, reason: result.reason }));
    return result;
  }
}

function reject(reason: RejectReason, message: string): VerifyResult {
  return { ok: false, reason, message };
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value =
    headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return typeof value === 'string' ? value : value?.[0];
}

function parseBody(id: string, body: string | Uint8Array): WebhookEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { type, timestamp, data } = json as Record<string, unknown>;
  if (typeof type !== 'string' || typeof timestamp !== 'string') return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return { id, type, timestamp, data: data as Record<string, unknown> };
}

/** The raw body, or undefined when it exceeds the limit. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
