import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DeliveryRepository, type DeliveryEntity } from '@app/dal';
import { DeliveryDispatcher } from '../deliver/delivery-dispatcher';

const MAX_CLAIM_BATCH = 500;
const INTERVAL_NAME = 'claim-due-deliveries';

/**
 * Every SCHEDULER_INTERVAL, claims due deliveries (retries, expired leases, anything intake did
 * not attempt at once) in batches, as many as the dispatcher has room for, and hands them over.
 * While a backlog lasts it does not wait for the interval: it claims again as soon as a quarter
 * of the dispatcher's slots are free, or, for an endpoint whose deliveries it had to leave due,
 * as soon as half of what that endpoint may hold here is free. Claims are atomic in MongoDB, so
 * any number of notifiers can run this side by side.
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliveryScheduler.name);
  private running = false;
  private stopped = false;
  /** The last claim filled what there was room for: more may be due. */
  private backlog = false;
  /** Endpoints the last claim had no (more) room for: some of their deliveries may be due. */
  private leftBehind = new Set<string>();
  private lastWarningAt = 0;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly deliveries: DeliveryRepository,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.tick(), this.config.schedulerIntervalMs);
    this.registry.addInterval(INTERVAL_NAME, timer);
    this.dispatcher.onSlotsFreed((endpointId) => this.onSlotsFreed(endpointId));
  }

  private onSlotsFreed(endpointId: string | undefined): void {
    if (this.running || this.stopped) return;
    if (endpointId !== undefined && this.leftBehind.has(endpointId)) {
      const room = this.dispatcher.roomFor(endpointId);
      if (room * 2 >= this.dispatcher.allowanceFor(endpointId)) void this.tick();
    } else if (this.backlog && this.dispatcher.freeSlots >= this.minClaim) {
      void this.tick();
    }
  }

  /** Fewer free slots than this wait for more: a claim costs two round trips whatever its size. */
  private get minClaim(): number {
    return Math.max(1, Math.min(MAX_CLAIM_BATCH, Math.floor(this.config.deliveryConcurrency / 4)));
  }

  stop(): void {
    this.stopped = true;
    if (this.registry.doesExist('interval', INTERVAL_NAME))
      this.registry.deleteInterval(INTERVAL_NAME);
  }

  /** Claims now, not at the next interval: deliveries were just left due (intake had no room). */
  kick(): void {
    this.backlog = true;
    void this.tick();
  }

  /** Claims until nothing is due or the dispatcher is full. Public for tests. */
  async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (;;) {
        if (this.stopped) return;
        const limit = Math.min(this.dispatcher.freeSlots, MAX_CLAIM_BATCH);
        if (limit < this.minClaim) {
          // Resumed by onSlotsFreed (or the next interval) once there is room.
          this.backlog = true;
          return;
        }
        const now = this.clock.now();
        const claimToken = randomUUID();
        const stats = { candidates: 0 };
        const excluded = this.dispatcher.unavailableEndpoints();
        const capacities = new Map<string, number>();
        const claimed = await this.deliveries.claimDue({
          now,
          limit,
          claimToken,
          leaseUntil: new Date(now.getTime() + this.config.leaseMs),
          // An endpoint without room here (what it may hold is held, an open circuit, a spent
          // rate limit) keeps its deliveries due, for later or for another notifier.
          excludeEndpointIds: excluded,
          capacityFor: (endpointId) => {
            const room = this.dispatcher.roomFor(endpointId);
            capacities.set(endpointId, room);
            return room;
          },
          stats,
        });
        this.leftBehind = leftBehind(excluded, capacities, claimed);
        await this.dispatcher.dispatch(claimed, claimToken);
        this.backlog = stats.candidates === limit;
        // All it read was for endpoints without room: wait for slots or the next interval.
        if (!this.backlog || claimed.length === 0) return;
      }
    } catch (error) {
      this.warnThrottled(`claiming due deliveries failed (will retry): ${String(error)}`);
    } finally {
      this.running = false;
    }
  }

  private warnThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt < 10_000) return;
    this.lastWarningAt = now;
    this.logger.warn(message);
  }
}

/** The endpoints excluded from a claim, and those it claimed as many of as they had room for. */
function leftBehind(
  excluded: readonly string[],
  capacities: ReadonlyMap<string, number>,
  claimed: readonly DeliveryEntity[],
): Set<string> {
  const counts = new Map<string, number>();
  for (const delivery of claimed) {
    counts.set(delivery.endpointId, (counts.get(delivery.endpointId) ?? 0) + 1);
  }
  const full = [...capacities].filter(([id, room]) => (counts.get(id) ?? 0) >= room);
  return new Set([...excluded, ...full.map(([id]) => id)]);
}
