import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, messagesAccepted } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import {
  EVENTS_EXCHANGE,
  HEADER_APP_ID,
  HEADER_CATALOG_UNCHECKED,
  HEADER_MESSAGE_ID,
  idempotentMessageId,
  newAppMessageId,
} from '@app/contracts';
import { EndpointRepository, isDatabaseUnreachable, MongoHealth } from '@app/dal';
import { EventTypeCatalog, type CatalogVerdict } from '@app/event-catalog';
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
    private readonly mongo: MongoHealth,
  ) {}

  async execute({ appId, message }: PublishMessageCommand): Promise<Accepted> {
    await this.rate.take(appId);
    if (message.endpointIds !== undefined) await this.checkEndpoints(appId, message.endpointIds);
    // Checked against the event type's version current now; intake does not check it again.
    const verdict = await this.catalogVerdict(appId, message);
    if (verdict !== undefined) throwIfRefused(message.eventType, verdict);
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
          headers: {
            [HEADER_APP_ID]: appId,
            [HEADER_MESSAGE_ID]: id,
            ...(verdict === undefined && { [HEADER_CATALOG_UNCHECKED]: true }),
          },
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

  /**
   * The catalog's verdict, or undefined while MongoDB cannot be read (an election, an outage): the
   * message is then published marked unchecked and intake checks it when it stores it (one that
   * fails is dead-lettered with x-error), rather than refusing every producer until a member
   * answers.
   */
  private async catalogVerdict(
    appId: string,
    message: PublishMessageCommand['message'],
  ): Promise<CatalogVerdict | undefined> {
    if (!this.mongo.isReadable) return undefined;
    try {
      const [verdict] = await this.catalog.check([
        { appId, eventType: message.eventType, payload: message.payload },
      ]);
      return verdict;
    } catch (error) {
      if (isDatabaseUnreachable(error)) return undefined;
      throw error;
    }
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
