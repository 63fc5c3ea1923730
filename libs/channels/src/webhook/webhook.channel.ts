import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { parseRetryAfter } from '@app/retry-policy';
import {
  asksToBackOff,
  responseExcerpt,
  type AttemptResult,
  type DeliveryJob,
  type NotificationChannel,
} from '../channel';
import { TargetGuard, TargetRefusedError } from './target-guard';
import { signedWebhookHeaders, WebhookSecretError } from './webhook-signature';

/** How a request fails on a kept-alive connection the recipient has just closed. */
const STALE_CONNECTION: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

/** Enough of a response to find a `successBody` marker; the rest is never read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** The webhook body (CONTRACT.md "Outbound webhook"), also what `notify listen` forwards. */
export function webhookBody(job: Pick<DeliveryJob, 'eventType' | 'createdAt' | 'payload'>): string {
  return JSON.stringify({
    type: job.eventType,
    timestamp: job.createdAt.toISOString(),
    data: job.payload,
  });
}

/**
 * POSTs the Standard Webhooks envelope. Keep-alive agents reuse connections to busy endpoints (a
 * request that a reused connection's closing resets before any answer is sent again at once, as
 * node:http's documentation advises, instead of failing the attempt); redirects are not followed;
 * the timeout covers the whole attempt, body read included. Plain node:http, no client library:
 * this is the hottest loop of the notifier, and axios cost about three times the CPU per request
 * (measured for `npm run bench`).
 */
export class WebhookChannel implements NotificationChannel {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(
    private readonly guard: TargetGuard,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.httpAgent = new HttpAgent({ keepAlive: true, lookup: guard.lookup });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, lookup: guard.lookup });
  }

  async send(job: DeliveryJob): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const url = job.endpoint.url;
    if (url === undefined) {
      return { outcome: 'permanent', durationMs: 0, error: 'the endpoint has no url' };
    }
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !this.guard.isAllowed(host)) {
      return {
        outcome: 'permanent',
        durationMs: 0,
        error: new TargetRefusedError(host).message,
      };
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), job.endpoint.timeoutMs);
    try {
      const response = await this.post(url, job, controller.signal);
      const body = await readCapped(response, controller.signal);
      return {
        ...classify(response.statusCode ?? 0, response.headers, body, job, this.now()),
        durationMs: elapsed(),
      };
    } catch (error) {
      return { ...describeFailure(error, job.endpoint.timeoutMs), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Resolves with the response once its headers are in; redirects are answers like any other. */
  private post(url: string, job: DeliveryJob, signal: AbortSignal): Promise<IncomingMessage> {
    const body = webhookBody(job);
    const timestamp = Math.floor(this.now().getTime() / 1000);
    // Later keys win, whatever their case: the endpoint's headers cannot replace ours.
    const headers = {
      'user-agent': 'notify-platform',
      ...job.endpoint.headers,
      'content-length': String(Buffer.byteLength(body)),
      ...signedWebhookHeaders(job.endpoint.secrets, job.messageId, timestamp, body),
      ...(job.ordering === undefined
        ? {}
        : {
            'webhook-ordering-key': job.ordering.key,
            'webhook-sequence': String(job.ordering.sequence),
          }),
    };
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = () =>
      new Promise<IncomingMessage>((resolve, reject) => {
        let answered = false;
        const request = (secure ? httpsRequest : httpRequest)(
          target,
          { method: 'POST', headers, agent: secure ? this.httpsAgent : this.httpAgent, signal },
          (response) => {
            answered = true;
            resolve(response);
          },
        );
        request.on('error', (error: NodeJS.ErrnoException) => {
          // A kept-alive connection the recipient closed as this went out on it (its idle
          // timeout): nothing was answered, so it goes again, on another connection. Each try
          // drops a connection, so this ends; the timeout covers them all.
          if (request.reusedSocket && !answered && STALE_CONNECTION.has(error.code ?? '')) {
            send().then(resolve, reject);
          } else reject(error);
        });
        request.end(body);
      });
    return send();
  }
}

function classify(
  status: number,
  headers: Record<string, unknown>,
  body: string,
  job: DeliveryJob,
  now: Date,
): Omit<AttemptResult, 'durationMs'> {
  const responseBody = responseExcerpt(body);
  const base = { statusCode: status, responseBody };
  if (status >= 200 && status < 300) {
    const expected = job.endpoint.successBody;
    if (expected === undefined || body.includes(expected)) return { ...base, outcome: 'delivered' };
    return {
      ...base,
      outcome: 'transient',
      error: `HTTP ${status} but the response does not contain the expected "${expected}"`,
    };
  }
  if (status === 410) {
    return { ...base, outcome: 'gone', error: 'HTTP 410 Gone: the endpoint asked to stop' };
  }
  const retryAfter = headers['retry-after'];
  const retryAfterMs =
    asksToBackOff(status) && typeof retryAfter === 'string'
      ? parseRetryAfter(retryAfter, now)
      : undefined;
  const error =
    status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`;
  return {
    ...base,
    outcome: 'transient',
    error,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

function describeFailure(error: unknown, timeoutMs: number): Omit<AttemptResult, 'durationMs'> {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (error instanceof TargetRefusedError) return { outcome: 'permanent', error: error.message };
  if (cause instanceof TargetRefusedError) return { outcome: 'permanent', error: cause.message };
  // No usable signing secret: every later attempt would fail the same way.
  if (error instanceof WebhookSecretError) {
    return { outcome: 'permanent', error: `cannot sign the webhook: ${error.message}` };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Our timer aborted the request (node:http reports it as ABORT_ERR, a stream as AbortError).
  if (code === 'ABORT_ERR' || (error instanceof Error && error.name === 'AbortError')) {
    return { outcome: 'transient', error: `timed out after ${timeoutMs} ms` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { outcome: 'transient', error: code === undefined ? message : `${code}: ${message}` };
}

/** Reads at most MAX_RESPONSE_BYTES, then drops the rest: a huge answer costs no memory. */
function readCapped(stream: Readable, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onAbort = () => {
      stream.destroy();
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      if (size >= MAX_RESPONSE_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_RESPONSE_BYTES) {
        stream.destroy();
        finish();
      }
    });
    stream.on('end', finish);
    stream.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}
