import { createHash, randomBytes } from 'node:crypto';

/**
 * Message ids every producer agrees on (docs/adr/0002): the platform (API and notifier) and the
 * SDK (libs/client) import these, so there is one derivation to keep stable.
 */

/**
 * A message sent with an idempotency key gets an id derived from (app, key), so every producer
 * (HTTP or AMQP, before or after the notifier stored it) agrees on it without a lookup.
 */
export function idempotentMessageId(appId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${appId}\u0000${idempotencyKey}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

/**
 * A platform event's message id, derived from (app, what it reports): raising the same event
 * again (a batch written twice, two notifiers deciding alike) stores it once. The leading \u0002
 * keeps these apart from idempotentMessageId's, so no producer key can take one.
 */
export function platformEventMessageId(appId: string, eventKey: string): string {
  const digest = createHash('sha256').update(`\u0002${appId}\u0000${eventKey}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

const APP_MESSAGE_ID = /^msg_([0-9a-f]{20})([0-9a-f]{12})$/;

/**
 * The id the HTTP API answers a message without idempotency key with (sent to the notifier in
 * x-message-id): 80 random bits and a 48-bit tag derived from (app, those bits). The notifier
 * stores a message under its x-message-id only when the tag matches the message's app, so a
 * producer that copies another app's id (or the id another app's key derives) into x-message-id
 * cannot make its message take that id: the tag would have to match an app that is not its own.
 */
export function newAppMessageId(appId: string): string {
  const random = randomBytes(10).toString('hex');
  return `msg_${random}${appTag(appId, random)}`;
}

/** True when `id` is one newAppMessageId made for this app. */
export function isAppMessageId(appId: string, id: string): boolean {
  const match = APP_MESSAGE_ID.exec(id);
  return match !== null && appTag(appId, match[1]!) === match[2];
}

/** The leading \u0001 keeps these hashes apart from idempotentMessageId's. */
function appTag(appId: string, random: string): string {
  return createHash('sha256').update(`\u0001${appId}\u0000${random}`).digest('hex').slice(0, 12);
}
