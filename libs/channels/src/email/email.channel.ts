import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { AttemptResult, DeliveryJob, NotificationChannel } from '../channel';
import { TemplateRenderError } from '../template/render-template';
import { composeEmail } from './email-content';
import { classifySmtpFailure, smtpAccepted } from './smtp-outcome';
import { smtpTransportOptions } from './smtp-transport-options';

export interface EmailChannelOptions {
  /** Unset: every email delivery fails at once, saying so. */
  smtpUrl: string | undefined;
  from: string;
}

class AttemptTimeout extends Error {}

/**
 * Sends through one pooled SMTP transport (a few long-lived connections shared by all attempts).
 * The SMTP server is operator configuration, not a tenant's target, so the SSRF guard that
 * webhooks pass through does not apply to it.
 */
export class EmailChannel implements NotificationChannel {
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo> | undefined;

  constructor(options: EmailChannelOptions) {
    this.transport =
      options.smtpUrl === undefined
        ? undefined
        : createTransport(smtpTransportOptions(options.smtpUrl), { from: options.from });
  }

  async send(job: DeliveryJob): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (this.transport === undefined) {
      return {
        outcome: 'permanent',
        durationMs: 0,
        error: 'email is not configured: set SMTP_URL (e.g. smtp://user:pass@mail.example.com:587)',
      };
    }
    const to = job.endpoint.to;
    if (to === undefined) {
      return { outcome: 'permanent', durationMs: 0, error: 'the endpoint has no "to" address' };
    }
    let content;
    try {
      content = composeEmail(job);
    } catch (error) {
      if (error instanceof TemplateRenderError) {
        return { outcome: 'permanent', durationMs: elapsed(), error: error.message };
      }
      throw error;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new AttemptTimeout()), job.endpoint.timeoutMs);
    });
    try {
      const info = await Promise.race([
        this.transport.sendMail({
          to,
          ...content,
          headers: { 'x-notify-message-id': job.messageId },
        }),
        timeout,
      ]);
      return { ...smtpAccepted(info.response), durationMs: elapsed() };
    } catch (error) {
      if (error instanceof AttemptTimeout) {
        return {
          outcome: 'transient',
          durationMs: elapsed(),
          error: `timed out after ${job.endpoint.timeoutMs} ms waiting for the SMTP server`,
        };
      }
      return { ...classifySmtpFailure(error), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.transport?.close();
  }
}
