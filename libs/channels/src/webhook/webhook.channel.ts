import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import axios, { AxiosError } from 'axios';
import { parseRetryAfter } from '@app/retry-policy';
import {
  RESPONSE_EXCERPT_BYTES,
  type AttemptResult,
  type DeliveryJob,
  type NotificationChannel,
} from '../channel';
import { TargetGuard, TargetRefusedError } from './target-guard';
import { signatureHeader } from './webhook-signature';

/** Enough of a response to find a `successBody` marker; the rest is never read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export function webhookBody(job: DeliveryJob): string {
  return JSON.stringify({
    type: job.eventType,
    timestamp: job.createdAt.toISOString(),
    data: job.payload,
  });
}

/**
 * POSTs the Standard Webhooks envelope. Keep-alive agents reuse connections to busy endpoints;
 * redirects are not followed; the timeout covers the whole attempt, body read included.
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
        error: new TargetRefusedError(host, host).message,
      };
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), job.endpoint.timeoutMs);
    try {
      const response = await this.post(url, job, controller.signal);
      const body = await readCapped(response.data, controller.signal);
      return {
        ...classify(response.status, response.headers, body, job, this.now()),
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

  private post(url: string, job: DeliveryJob, signal: AbortSignal) {
    const body = webhookBody(job);
    const timestamp = Math.floor(this.now().getTime() / 1000);
    return axios.post<Readable>(url, body, {
      headers: {
        'user-agent': 'notify-platform',
        ...job.endpoint.headers,
        'content-type': 'application/json',
        'webhook-id': job.messageId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(job.endpoint.secrets, job.messageId, timestamp, body),
      },
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      maxRedirects: 0,
      proxy: false,
      responseType: 'stream',
      transformRequest: [(data: string) => data],
      validateStatus: () => true,
      signal,
    });
  }
}

function classify(
  status: number,
  headers: Record<string, unknown>,
  body: string,
  job: DeliveryJob,
  now: Date,
): Omit<AttemptResult, 'durationMs'> {
  const responseBody = body.slice(0, RESPONSE_EXCERPT_BYTES);
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
    (status === 429 || status === 503) && typeof retryAfter === 'string'
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
  const cause = error instanceof AxiosError && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof TargetRefusedError) return { outcome: 'permanent', error: cause.message };
  if (axios.isCancel(error) || (error instanceof Error && error.name === 'AbortError')) {
    return { outcome: 'transient', error: `timed out after ${timeoutMs} ms` };
  }
  const code = error instanceof AxiosError ? error.code : undefined;
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
