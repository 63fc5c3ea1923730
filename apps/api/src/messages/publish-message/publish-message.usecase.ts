import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, messagesAccepted } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import {
  EVENTS_EXCHANGE,
  HEADER_APP_ID,
  HEADER_MESSAGE_ID,
  idempotentMessageId,
  newAppMessageId,
} from '@app/contracts';
import { EndpointRepository } from '@app/dal';
import { EventTypeCatalog } from '@app/event-catalog';
import { ConfirmPublisher, PublishError } from '@app/messaging';
import { PinoLogger } from 'nestjs-pino';
import { throwIfRefused } from '../../event-types/schema-refusals';
import { MessageRateLimiter } from './message-rate.limiter';
import type { PublishMessageCommand } from './publish-message.command';

export interface Accepted {
  id: string;
  status: 'accepted';
}

/**
 * HTTP producers go through the same exchange as AMQP ones. The answer is 202 only after the
 * broker confirmed the message, so an accepted message is never only in this process's memory.
 */
@Injectable()
export class PublishMessageUseCase {
  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly endpoints: EndpointRepository,
    private readonly clock: Clock,
    private readonly logger: PinoLogger,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly rate: MessageRateLimiter,
    private readonly catalog: EventTypeCatalog,
  ) {}

  async execute({ appId, message }: PublishMessageCommand): Promise<Accepted> {
    await this.rate.take(appId);
    if (message.endpointIds !== undefined) await this.checkEndpoints(appId, message.endpointIds);
    // Checked against the event type's version current now; intake does not check it again.
    const [verdict] = await this.catalog.check([
      { appId, eventType: message.eventType, payload: message.payload },
    ]);
    throwIfRefused(message.eventType, verdict!);
    const id =
      message.idempotencyKey === undefined
        ? newAppMessageId(appId)
        : idempotentMessageId(appId, message.idempotencyKey);
    try {
      await this.publisher.publish(
        EVENTS_EXCHANGE,
        message.eventType,
        Buffer.from(JSON.stringify(message)),
        {
          contentType: 'application/json',
          timestamp: Math.floor(this.clock.now().getTime() / 1000),
          // Checked by RabbitMQ against our connection's user: intake trusts it for every app.
          userId: this.config.brokerUser,
          headers: { [HEADER_APP_ID]: appId, [HEADER_MESSAGE_ID]: id },
        },
      );
    } catch (error) {
      if (error instanceof PublishError) throw AppError.unavailable('RabbitMQ', error.message);
      throw error;
    }
    messagesAccepted.inc({ source: 'api' });
    // The request's log line names the message it accepted.
    this.logger.assign({ messageId: id });
    return { id, status: 'accepted' };
  }

  private async checkEndpoints(appId: string, ids: readonly string[]): Promise<void> {
    const found = new Set((await this.endpoints.findManyOfApp(appId, ids)).map((e) => e._id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length === 0) return;
    throw new AppError(
      ErrorCode.ValidationFailed,
      'The request body is invalid: check endpointIds',
      missing.map((id) => ({
        field: `endpointIds.${ids.indexOf(id)}`,
        message: `${id} is not an endpoint of this app`,
      })),
    );
  }
}
