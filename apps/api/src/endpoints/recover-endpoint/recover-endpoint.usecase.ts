import { Injectable } from '@nestjs/common';
import { AppError, Clock } from '@app/common';
import type { RecoverResult } from '@app/contracts';
import { DeliveryRedeliveryRepository, EndpointRepository, MessageRepository } from '@app/dal';
import type { RecoverEndpointCommand } from './recover-endpoint.command';

/** Messages whose status one refresh recomputes: keeps each aggregation small. */
const REFRESH_BATCH = 1_000;

/**
 * Every delivery of the endpoint that ended `failed` in [since, until) is due again now, with a
 * fresh schedule (attempts number on; see DeliveryRedeliveryRepository.reschedule). The window is cut at
 * now: a delivery that fails again while this runs is not taken a second time.
 */
@Injectable()
export class RecoverEndpointUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly redeliveries: DeliveryRedeliveryRepository,
    private readonly messages: MessageRepository,
    private readonly clock: Clock,
  ) {}

  async execute(command: RecoverEndpointCommand): Promise<RecoverResult> {
    const { appId, endpointId, since, dryRun } = command;
    if ((await this.endpoints.findById(appId, endpointId)) === null) {
      throw AppError.notFound('Endpoint', endpointId);
    }
    const now = this.clock.now();
    const until = command.until === undefined || command.until > now ? now : command.until;
    if (since >= until) return { count: 0 };
    const window = { since, until };
    if (dryRun) {
      return { count: await this.redeliveries.countFailedBetween(appId, endpointId, window) };
    }
    const { count, messageIds } = await this.redeliveries.rescheduleFailedBetween(
      appId,
      endpointId,
      window,
      now,
    );
    for (let i = 0; i < messageIds.length; i += REFRESH_BATCH) {
      await this.messages.refreshStatus(appId, messageIds.slice(i, i + REFRESH_BATCH));
    }
    return { count };
  }
}
