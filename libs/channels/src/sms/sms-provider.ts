import type { AttemptResult } from '../channel';

export interface OutgoingSms {
  messageId: string;
  /** E.164, checked when the endpoint was saved. */
  to: string;
  text: string;
  timeoutMs: number;
}

/** One SMS provider's API: sends one message and classifies the answer, never throwing for it. */
export interface SmsProvider {
  send(sms: OutgoingSms): Promise<Omit<AttemptResult, 'durationMs'>>;
  close?(): void;
}
