import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/common';
import {
  DEAD_LETTER_QUEUE,
  HEADER_APP_ID,
  HEADER_ERROR,
  HEADER_ORIGINAL_SIZE,
} from '@app/contracts';
import { RefusedDeadLetterRepository } from '@app/dal';
import { ConfirmPublisher, PublishError } from '@app/messaging';
import { PlatformEvents } from '../platform-events/platform-events';
import { assignedMessageId } from './parse-intake-message';
import { ack, propertiesOf, type Received } from './received';

/** x-error is cut to this: a reason quoting a huge header must not make the copy unpublishable. */
const MAX_REASON_LENGTH = 1_000;
/**
 * What a dead-letter copy keeps of a body over the size limit: enough to see what it was, while
 * a hostile producer's huge bodies cost the broker (and the dead-letter queue's bound) nothing.
 */
const DEAD_LETTER_EXCERPT_BYTES = 4 * 1024;
/** An x-app-id longer than any app id names no app: no platform event is looked up for it. */
const MAX_APP_ID_LENGTH = 64;

/**
 * Where intake puts what it will not store: unparseable messages, unknown apps, refused broker
 * users, messages MongoDB refuses. A copy goes to the dead-letter queue with the reason; when that
 * queue is full the refusal is written down in MongoDB instead. Either way the message is
 * acknowledged only once its copy or record is safe, and then reported to the app in its x-app-id
 * as a message.dead_lettered platform event.
 */
@Injectable()
export class DeadLetters {
  /** Its lines keep the context they always had: log queries and alerts name it. */
  private readonly logger = new Logger('IntakeConsumer');

  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly refusedDeadLetters: RefusedDeadLetterRepository,
    private readonly clock: Clock,
    private readonly platformEvents: PlatformEvents,
  ) {}

  /**
   * Publishes a copy of the message to notify.events.dead with `x-error: fullReason` (cut to
   * MAX_REASON_LENGTH), then acknowledges it. `cut`: the copy keeps only the body's first
   * DEAD_LETTER_EXCERPT_BYTES and its full size.
   */
  async deadLetter(received: Received, fullReason: string, cut = false): Promise<void> {
    const { message } = received;
    const content = cut ? message.content.subarray(0, DEAD_LETTER_EXCERPT_BYTES) : message.content;
    const size = cut ? { [HEADER_ORIGINAL_SIZE]: message.content.length } : {};
    const reason =
      fullReason.length > MAX_REASON_LENGTH
        ? `${fullReason.slice(0, MAX_REASON_LENGTH)}... (cut)`
        : fullReason;
    const properties = propertiesOf(message);
    // Only a message the HTTP API published has an id yet; one refused here is never stored.
    const messageId = assignedMessageId(message);
    const fields = messageId === undefined ? {} : { messageId };
    const publish = (headers: Record<string, unknown>) =>
      this.publisher.publish('', DEAD_LETTER_QUEUE, content, {
        contentType:
          typeof properties.contentType === 'string' ? properties.contentType : undefined,
        messageId: typeof properties.messageId === 'string' ? properties.messageId : undefined,
        timestamp: typeof properties.timestamp === 'number' ? properties.timestamp : undefined,
        headers,
      });
    try {
      try {
        await publish({ ...properties.headers, [HEADER_ERROR]: reason, ...size });
      } catch (error) {
        // Connected, yet refused: the producer's headers cannot travel again (too large, or of a
        // type that does not encode back). Without them rather than never.
        if (!this.publisher.isReady) throw error;
        await publish({
          [HEADER_ERROR]: reason,
          ...size,
          'x-original-headers': 'dropped: could not be copied',
        });
      }
      ack(received);
      this.logger.warn({ ...fields, reason }, `message dead-lettered: ${reason}`);
      this.raiseEvent(received, reason, fields);
    } catch (error) {
      if (error instanceof PublishError && error.refused) {
        await this.recordRefused(received, reason, fields);
        return;
      }
      // Left unacknowledged: the broker redelivers it once the channel is back.
      this.logger.warn(fields, `dead-lettering failed: ${String(error)}`);
    }
  }

  /**
   * The dead-letter queue refused the copy (full: its bound is overflow reject-publish). The
   * message is written down in MongoDB instead, then acknowledged: dropped, but not silently.
   * Should MongoDB fail too, it stays unacknowledged and comes back.
   */
  private async recordRefused(
    received: Received,
    reason: string,
    fields: { messageId?: string },
  ): Promise<void> {
    const { message } = received;
    const properties = propertiesOf(message);
    const appId: unknown = properties.headers?.[HEADER_APP_ID];
    try {
      await this.refusedDeadLetters.record({
        appId: typeof appId === 'string' ? appId.slice(0, MAX_REASON_LENGTH) : null,
        reason,
        refusal: `${DEAD_LETTER_QUEUE} refused it (nack): the queue is full`,
        size: message.content.length,
        routingKey: message.fields.routingKey.slice(0, MAX_REASON_LENGTH),
        messageId:
          typeof properties.messageId === 'string'
            ? properties.messageId.slice(0, MAX_REASON_LENGTH)
            : null,
        refusedAt: this.clock.now(),
      });
    } catch (error) {
      this.logger.warn(fields, `recording a refused dead letter failed: ${String(error)}`);
      return;
    }
    ack(received);
    this.logger.error(
      { ...fields, reason },
      `${DEAD_LETTER_QUEUE} is full: refused message recorded in refused_dead_letters`,
    );
    this.raiseEvent(received, reason, fields);
  }

  /**
   * message.dead_lettered for the app in x-app-id, once the message is dead-lettered: stored only
   * if that app exists and one of its endpoints names the event (PlatformEvents).
   */
  private raiseEvent(received: Received, reason: string, fields: { messageId?: string }): void {
    const { message } = received;
    const properties = propertiesOf(message);
    const appId: unknown = properties.headers?.[HEADER_APP_ID];
    if (typeof appId !== 'string' || appId.length === 0 || appId.length > MAX_APP_ID_LENGTH) return;
    this.platformEvents.raise([
      {
        appId,
        key: `message.dead_lettered:${randomUUID()}`,
        event: {
          eventType: 'message.dead_lettered',
          payload: {
            messageId: fields.messageId ?? null,
            amqpMessageId:
              typeof properties.messageId === 'string'
                ? properties.messageId.slice(0, MAX_REASON_LENGTH)
                : null,
            reason,
            routingKey: message.fields.routingKey.slice(0, MAX_REASON_LENGTH),
            size: message.content.length,
            deadLetteredAt: this.clock.now().toISOString(),
          },
        },
      },
    ]);
  }
}
