import type { Model, PipelineStage } from 'mongoose';
import type { AppScoped } from '../shared/tenant';
import type { DeliveryEntity } from './delivery.entity';

/** A [since, until) window on the time a delivery ended. */
export interface TimeWindow {
  since: Date;
  until: Date;
}

/** How many deliveries one recover round moves, so a huge recovery stays a series of small writes. */
const RECOVER_BATCH = 1_000;

/**
 * Due again now, with a fresh schedule: the next attempt is the schedule's immediate first one and
 * the retries after it follow the schedule from its start, while attempts keep numbering on
 * (scheduleOffset remembers where this schedule began). Clearing the claim turns the fenced
 * outcome write of an attempt still in flight into a no-op; the attempts abandoned so far are
 * forgiven (an operator's redelivery gives a poison delivery another chance).
 */
function freshScheduleUpdate(now: Date): PipelineStage.Set[] {
  return [
    {
      $set: {
        status: 'pending',
        nextAttemptAt: now,
        claimToken: null,
        scheduleOffset: '$attemptCount',
        deliveredAt: null,
        attemptStartedAt: null,
        readyClaim: null,
        abandonedAttempts: 0,
        updatedAt: now,
      },
    },
  ];
}

/**
 * What an operator starts again: one delivery or a message's (redelivery), or what an endpoint
 * failed in a window (recovery). Each starts a fresh schedule (freshScheduleUpdate); the caller
 * refreshes the messages' statuses.
 */
export class DeliveryRedeliveryRepository {
  constructor(private readonly model: Model<DeliveryEntity>) {}

  /**
   * Redelivery: the delivery, or every delivery of the message, whatever its status, starts a
   * fresh schedule now. Returns how many.
   */
  async reschedule(
    appId: string,
    target: { deliveryId: string } | { messageId: string },
    now: Date,
  ): Promise<number> {
    const filter: AppScoped<DeliveryEntity> =
      'deliveryId' in target
        ? { appId, _id: target.deliveryId }
        : { appId, messageId: target.messageId };
    const result = await this.model.updateMany(filter, freshScheduleUpdate(now)).exec();
    return result.matchedCount;
  }

  countFailedBetween(appId: string, endpointId: string, window: TimeWindow): Promise<number> {
    return this.model.countDocuments(failedBetween(appId, endpointId, window)).exec();
  }

  /**
   * Recovery: the endpoint's deliveries that ended `failed` in the window start a fresh schedule.
   * Returns how many, and their messages (whose statuses must be refreshed). The window must end
   * no later than `now`, so a delivery that fails again during the recovery is not taken twice.
   */
  async rescheduleFailedBetween(
    appId: string,
    endpointId: string,
    window: TimeWindow,
    now: Date,
  ): Promise<{ count: number; messageIds: string[] }> {
    const filter = failedBetween(appId, endpointId, window);
    const messageIds = new Set<string>();
    let count = 0;
    for (;;) {
      const batch = await this.model
        .find(filter, { _id: 1, messageId: 1 })
        .limit(RECOVER_BATCH)
        .lean<Pick<DeliveryEntity, '_id' | 'messageId'>[]>()
        .exec();
      if (batch.length === 0) break;
      const result = await this.model
        .updateMany({ ...filter, _id: { $in: batch.map((d) => d._id) } }, freshScheduleUpdate(now))
        .exec();
      count += result.modifiedCount;
      for (const delivery of batch) messageIds.add(delivery.messageId);
      if (batch.length < RECOVER_BATCH) break;
    }
    return { count, messageIds: [...messageIds] };
  }
}

// Served by failed_by_endpoint: a failed delivery's updatedAt is when it ended.
function failedBetween(
  appId: string,
  endpointId: string,
  window: TimeWindow,
): AppScoped<DeliveryEntity> {
  return {
    appId,
    endpointId,
    status: 'failed',
    updatedAt: { $gte: window.since, $lt: window.until },
  };
}
