import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { byId, Clock, groupBy } from '@app/common';
import { EndpointRepository, OrderingKeyRepository, type DeliveryEntity } from '@app/dal';
import { endedOrdered, KeyHandOff } from '../record-outcomes/key-hand-off';

/** How often the repair looks, and how long a key may wait for its hand-off first. */
const REPAIR_INTERVAL_MS = 5_000;
const GRACE_MS = 10_000;
const REPAIR_BATCH = 500;

/**
 * Ordered delivery hands a key on in a write after the one that changed it (ADR 0013): intake
 * numbers and stores held deliveries, then hands their key on; the outcome writer ends a delivery,
 * then hands its key on. A notifier that dies between the two leaves a key waiting: flagged on the
 * key (`checkSince`) or on the ended delivery (`orderingHandOffStale`). This finds those older than
 * a grace period and hands them on; every notifier runs it, and running it twice is harmless.
 */
@Injectable()
export class OrderingRepair {
  private readonly logger = new Logger(OrderingRepair.name);
  private running = false;

  constructor(
    private readonly keys: OrderingKeyRepository,
    private readonly endpoints: EndpointRepository,
    private readonly handOff: KeyHandOff,
    private readonly clock: Clock,
  ) {}

  @Interval(REPAIR_INTERVAL_MS)
  async repair(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const before = new Date(this.clock.now().getTime() - GRACE_MS);
      const ended = await this.keys.findStaleHandOffs(before, REPAIR_BATCH);
      if (ended.length > 0) {
        await this.handOff.handOff(await this.withBlocking(ended));
        this.logger.warn(`handed on ${ended.length} ordering keys left after their delivery ended`);
      }
      const unchecked = await this.keys.findUnchecked(before, REPAIR_BATCH);
      await this.keys.handOnKeys(unchecked, this.clock.now());
      if (unchecked.length > 0) {
        this.logger.warn(`looked at ${unchecked.length} ordering keys left after intake stored`);
      }
    } catch (error) {
      this.logger.warn(`repairing ordering keys failed, retried later: ${String(error)}`);
    } finally {
      this.running = false;
    }
  }

  /** The ended deliveries, each blocking its key if it failed and its endpoint says so. */
  private async withBlocking(ended: readonly DeliveryEntity[]) {
    const endpoints = byId(
      (
        await Promise.all(
          [...groupBy(ended, (d) => d.appId)].map(([appId, group]) =>
            this.endpoints.findManyOfApp(
              appId,
              group.map((d) => d.endpointId),
            ),
          ),
        )
      ).flat(),
    );
    return ended.flatMap((d) =>
      d.ordering === undefined
        ? []
        : [
            endedOrdered(
              { ...d, ...d.ordering, deliveryId: d._id },
              d.status === 'failed' && endpoints.get(d.endpointId)?.orderedBlockOnFailure === true
                ? (d.lastError ?? 'failed')
                : undefined,
            ),
          ],
    );
  }
}
