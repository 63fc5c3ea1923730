import {
  HEADER_APP_ID,
  HEADER_MESSAGE_ID,
  isAppMessageId,
  publishMessageSchema,
} from '@app/contracts';
import type { ConsumeMessage } from 'amqplib';
import { newId, zodDetails } from '@app/common';
import type { IncomingMessage } from '../store-messages/store-messages.command';

/** A path in a reason is cut to this, in its middle: x-error keeps 1,000 characters in all. */
const MAX_PATH_CHARS = 200;

export type ParsedIntake =
  | { ok: true; message: IncomingMessage }
  /** `tooLarge`: refused by size alone, unread; its dead-letter copy is cut short. */
  | { ok: false; reason: string; tooLarge?: true };

/**
 * Translates one AMQP message into a store command, or says why it cannot be accepted. The size
 * is checked first: a body over `maxBytes` is never decoded.
 */
export function parseIntakeMessage(amqp: ConsumeMessage, maxBytes: number): ParsedIntake {
  if (amqp.content.length > maxBytes) {
    return {
      ok: false,
      reason: `the body is ${amqp.content.length} bytes, more than the ${maxBytes} bytes accepted`,
      tooLarge: true,
    };
  }
  const headers = amqp.properties.headers ?? {};
  const appId: unknown = headers[HEADER_APP_ID];
  if (typeof appId !== 'string' || appId.length === 0) {
    return { ok: false, reason: `header ${HEADER_APP_ID} is required (the app's id)` };
  }
  let body: unknown;
  try {
    body = JSON.parse(amqp.content.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `the body is not JSON: ${(error as Error).message}` };
  }
  const parsed = publishMessageSchema.safeParse(body);
  if (!parsed.success) {
    const problems = zodDetails(parsed.error).map(
      (detail) => `${shortPath(detail.field)}: ${detail.message}`,
    );
    return { ok: false, reason: `the body does not match the contract: ${problems.join('; ')}` };
  }
  const amqpMessageId: unknown = amqp.properties.messageId;
  const idempotencyKey =
    parsed.data.idempotencyKey ??
    (typeof amqpMessageId === 'string' && amqpMessageId.length > 0 ? amqpMessageId : undefined);
  const assignedId = assignedMessageId(amqp);
  return {
    ok: true,
    message: {
      appId,
      ...parsed.data,
      idempotencyKey,
      assignedId,
      mintedId: idempotencyKey === undefined && assignedId === undefined ? newId('msg') : undefined,
    },
  };
}

/**
 * The id the HTTP API already answered with, when it published this message: an x-message-id
 * bound to the message's x-app-id (isAppMessageId). Any other x-message-id is ignored, so a
 * producer cannot choose an id that belongs, or will belong, to another app.
 */
export function assignedMessageId(amqp: ConsumeMessage): string | undefined {
  const headers = amqp.properties.headers ?? {};
  const messageId: unknown = headers[HEADER_MESSAGE_ID];
  const appId: unknown = headers[HEADER_APP_ID];
  return typeof messageId === 'string' &&
    typeof appId === 'string' &&
    isAppMessageId(appId, messageId)
    ? messageId
    : undefined;
}

/** `path`, its middle left out when it is long: where it starts and the field that is wrong. */
function shortPath(path: string): string {
  if (path.length <= MAX_PATH_CHARS) return path;
  const half = MAX_PATH_CHARS / 2;
  return `${path.slice(0, half)}…${path.slice(-half)}`;
}
