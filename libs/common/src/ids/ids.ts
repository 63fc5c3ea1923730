import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

export type IdPrefix = 'app' | 'ep' | 'msg' | 'dlv' | 'att';

/** Time-ordered (UUIDv7) so ids sort roughly by creation, prefixed so a stray id says what it is. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`;
}

/**
 * A message sent with an idempotency key gets an id derived from (app, key), so every producer
 * (HTTP or AMQP, before or after the notifier stored it) agrees on it without a lookup.
 */
export function idempotentMessageId(appId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${appId}\u0000${idempotencyKey}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

/** A bearer credential: shown once, stored only as its hash. */
export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
