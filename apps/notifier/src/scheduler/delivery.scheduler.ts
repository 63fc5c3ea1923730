import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DeliveryRepository } from '@app/dal';
import { DeliveryDispatcher } from '../deliver/delivery-dispatcher';

const MAX_CLAIM_BATCH = 500;
const INTERVAL_NAME = 'claim-due-deliveries';

/**
 * Every SCHEDULER_INTERVAL, claims due deliveries (retries, expired leases, anything intake did
 * not attempt at once) in batches, as many as the dispatcher has room for, and hands them over.
 * Claims are atomic in MongoDB, so any number of notifiers can run this side by side.
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliveryScheduler.name);
  private running = false;
  private stopped = false;
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
  }

  stop(): void {
    this.stopped = true;
    if (this.registry.doesExist('interval', INTERVAL_NAME))
      this.registry.deleteInterval(INTERVAL_NAME);
  }

  /** Claims until nothing is due or the dispatcher is full. Public for tests. */
  async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (;;) {
        const limit = Math.min(this.dispatcher.freeSlots, MAX_CLAIM_BATCH);
        if (limit === 0 || this.stopped) return;
        const now = this.clock.now();
        const claimToken = randomUUID();
        const claimed = await this.deliveries.claimDue({
          now,
          limit,
          claimToken,
          leaseUntil: new Date(now.getTime() + this.config.leaseMs),
        });
        await this.dispatcher.dispatch(claimed, claimToken);
        if (claimed.length < limit) return;
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
