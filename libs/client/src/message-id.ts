import { createHash } from 'node:crypto';
import { publishMessageSchema, type PublishMessage } from '@app/contracts';
import { InvalidMessageError } from './errors';

/**
 * The id the platform stores a message under when it carries an idempotency key (or, over AMQP,
 * a `messageId` property standing in for one): `msg_` + 32 hex digits of SHA-256(app id, key)
 * (docs/adr/0002). Lets a producer know the message id before the notifier stored it.
 */
export function platformMessageId(appId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${appId}\u0000${idempotencyKey}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

/** Checks a message against the intake contract before it leaves the producer. */
export function validateMessage(message: PublishMessage): PublishMessage {
  const parsed = publishMessageSchema.safeParse(message);
  if (parsed.success) return parsed.data;
  throw new InvalidMessageError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`),
  );
}
