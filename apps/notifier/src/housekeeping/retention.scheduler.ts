import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { RetentionRepository } from '@app/dal';

const INTERVAL_NAME = 'retention-sweep';
/** Messages looked at per batch: each batch is four round trips of bounded size. */
const SWEEP_BATCH = 500;
/** Batches per sweep at most, so one sweep never runs for long; the next sweep goes on. */
const MAX_BATCHES_PER_SWEEP = 20;

/**
 * RETENTION: every RETENTION_SWEEP_INTERVAL, removes messages that ended (delivered, failed,
 * no_endpoints) more than RETENTION ago, with their deliveries and attempts, oldest first in
 * bounded batches (docs/operations.md says why this is not a TTL index). Every notifier runs it;
 * two sweeping at once remove the same documents, which is harmless.
 */
@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionSweeper.name);
  private running = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly retention: RetentionRepository,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.sweep(), this.config.retentionSweepIntervalMs);
    this.registry.addInterval(INTERVAL_NAME, timer);
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', INTERVAL_NAME)) {
      this.registry.deleteInterval(INTERVAL_NAME);
    }
  }

  /** One sweep; returns how many messages it removed. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let removed = 0;
    try {
      const cutoff = new Date(this.clock.now().getTime() - this.config.retentionMs);
      let batch = await this.retention.removeEnded(cutoff, SWEEP_BATCH);
      removed += batch.removed;
      for (let n = 1; batch.next !== undefined && n < MAX_BATCHES_PER_SWEEP; n++) {
        batch = await this.retention.removeEnded(cutoff, SWEEP_BATCH, batch.next);
        removed += batch.removed;
      }
      if (removed > 0) {
        this.logger.log(`removed ${removed} ended messages older than RETENTION`);
      }
    } catch (error) {
      this.logger.warn(`the retention sweep failed, retried later: ${String(error)}`);
    } finally {
      this.running = false;
    }
    return removed;
  }
}
