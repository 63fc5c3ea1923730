import { decodeWebhookSecret, signedWebhookHeaders, webhookBody } from '@app/channels';
import { describeFetchError } from '@app/client';
import type { InboxItem } from '@app/contracts';
import { UsageError } from '../cli-error';

/** What the local receiver made of one forwarded message. */
export interface ForwardResult {
  /** The local server's status; null when it gave none (refused, timed out). */
  status: number | null;
  durationMs: number;
  /** Why there is no status. */
  error: string | null;
}

export interface ForwarderOptions {
  /** Where to POST: `--forward-to`. */
  url: string;
  /** The endpoint's signing secret, `whsec_...`. */
  secret: string;
  /** Per request, answer included; default 10 s (the platform's default endpoint timeout). */
  timeoutMs?: number;
  now?: () => Date;
}

/**
 * Re-posts inbox items to a local URL exactly as the platform posts a webhook: the same body
 * (`{ type, timestamp, data }`), the same Standard Webhooks headers, signed with the endpoint's
 * secret by the platform's own signing code, so the receiver's verification runs as in production.
 */
export class WebhookForwarder {
  private readonly timeoutMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: ForwarderOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? (() => new Date());
  }

  /** Checks the flags before anything is read from the inbox: a mistake here is wrong usage. */
  static check(url: string, secret: string): void {
    if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
      throw new UsageError(`--forward-to must be an http:// or https:// URL; got "${url}"`);
    }
    try {
      decodeWebhookSecret(secret);
    } catch (error) {
      throw new UsageError(`--secret (or NOTIFY_WEBHOOK_SECRET): ${(error as Error).message}`);
    }
  }

  async forward(item: InboxItem, signal: AbortSignal): Promise<ForwardResult> {
    const body = webhookBody({
      eventType: item.eventType,
      createdAt: new Date(item.createdAt),
      payload: item.payload,
    });
    const started = this.now();
    const timestamp = Math.floor(started.getTime() / 1000);
    const elapsed = () => this.now().getTime() - started.getTime();
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'user-agent': 'notify-listen',
          ...signedWebhookHeaders([this.options.secret], item.messageId, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      // Only the status counts, as for the platform; the body is not waited for.
      await response.body?.cancel();
      return { status: response.status, durationMs: elapsed(), error: null };
    } catch (error) {
      return { status: null, durationMs: elapsed(), error: describeFetchError(error) };
    }
  }
}
