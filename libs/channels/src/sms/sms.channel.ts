import type { AttemptResult, DeliveryJob, NotificationChannel } from '../channel';
import { renderTemplate, templateView, TemplateRenderError } from '../template/render-template';
import type { SmsProvider } from './sms-provider';

/** What to tell the recipient while no provider is usable (e.g. SMS_GATEWAY_URL unset). */
export type SmsProviderOrReason = SmsProvider | { unavailable: string };

/**
 * The text is the endpoint's `template.text` (rendered, not HTML-escaped), else `payload.text`;
 * with neither there is nothing to send, which no retry changes.
 */
export function smsText(job: DeliveryJob): string | undefined {
  const template = job.endpoint.template?.text;
  if (template !== undefined) {
    const view = templateView({
      payload: job.payload,
      eventType: job.eventType,
      messageId: job.messageId,
    });
    return renderTemplate(template, view, 'text');
  }
  const text = job.payload.text;
  return typeof text === 'string' ? text : undefined;
}

export class SmsChannel implements NotificationChannel {
  constructor(private readonly provider: SmsProviderOrReason) {}

  async send(job: DeliveryJob): Promise<AttemptResult> {
    const started = performance.now();
    if ('unavailable' in this.provider) {
      return { outcome: 'permanent', durationMs: 0, error: this.provider.unavailable };
    }
    const to = job.endpoint.to;
    if (to === undefined) {
      return { outcome: 'permanent', durationMs: 0, error: 'the endpoint has no "to" number' };
    }
    let text: string | undefined;
    try {
      text = smsText(job);
    } catch (error) {
      if (!(error instanceof TemplateRenderError)) throw error;
      return { outcome: 'permanent', durationMs: 0, error: error.message };
    }
    if (text === undefined) {
      return {
        outcome: 'permanent',
        durationMs: 0,
        error:
          'nothing to send: the endpoint has no template.text and the payload has no "text" string',
      };
    }
    if (text.trim().length === 0) {
      return { outcome: 'permanent', durationMs: 0, error: 'nothing to send: the text is empty' };
    }
    const result = await this.provider.send({
      messageId: job.messageId,
      to,
      text,
      timeoutMs: job.endpoint.timeoutMs,
    });
    return { ...result, durationMs: Math.round(performance.now() - started) };
  }

  close(): void {
    if (!('unavailable' in this.provider)) this.provider.close?.();
  }
}
