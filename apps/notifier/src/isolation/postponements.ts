import { Injectable, Logger } from '@nestjs/common';
import { batchIds, deliveriesPostponed, type PostponeReason } from '@app/common';
import { DeliveryRepository } from '@app/dal';

/** A claimed delivery the gate does not admit now: due again at `dueAt`, its claim given up. */
export interface Postponement {
  deliveryId: string;
  dueAt: Date;
  reason: PostponeReason;
}

/**
 * Writes what the EndpointGate postponed, one write per batch, and counts it by reason
 * (notify_deliveries_postponed_total). Postponed is neither attempted nor counted as an attempt.
 */
@Injectable()
export class Postponements {
  /** Its lines keep the context they always had: log queries and alerts name it. */
  private readonly logger = new Logger('EndpointGate');

  constructor(private readonly deliveries: DeliveryRepository) {}

  async postpone(postponed: readonly Postponement[], claimToken: string): Promise<void> {
    if (postponed.length === 0) return;
    for (const entry of postponed) deliveriesPostponed.inc({ reason: entry.reason });
    try {
      await this.deliveries.postpone(postponed, claimToken);
    } catch (error) {
      this.logger.warn(
        batchIds({ deliveryIds: postponed.map((entry) => entry.deliveryId) }),
        `postponing ${postponed.length} deliveries failed; they come back when their lease expires: ${String(error)}`,
      );
    }
  }
}
