import { idempotentMessageId, publishMessageSchema, type PublishMessage } from '@app/contracts';
import { InvalidMessageError } from './errors';

/**
 * The id the platform stores a message under when it carries an idempotency key (or, over AMQP,
 * a `messageId` property standing in for one): `msg_` + 32 hex digits of SHA-256(app id, key)
 * (docs/adr/0002). Lets a producer know the message id before the notifier stored it. The
 * platform's own derivation, not a copy of it.
 */
export const platformMessageId: (appId: string, idempotencyKey: string) => string =
  idempotentMessageId;

/** Checks a message against the intake contract before it leaves the producer. */
export function validateMessage(message: PublishMessage): PublishMessage {
  const parsed = publishMessageSchema.safeParse(message);
  if (parsed.success) return parsed.data;
  throw new InvalidMessageError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`),
  );
}
