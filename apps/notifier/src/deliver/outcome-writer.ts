import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  AttemptRepository,
  DeliveryRepository,
  EndpointRepository,
  MessageRepository,
} from '@app/dal';
import type { PlannedOutcome } from './plan-outcome';

interface PendingOutcome extends PlannedOutcome {
  claimToken: string;
}

const FLUSH_SIZE = 200;
const FLUSH_DELAY_MS = 5;
const RETRY_DELAY_MS = 1_000;

/**
 * Collects attempt outcomes and writes them in bulk: one insertMany for the attempt log, one
 * bulkWrite each for deliveries and endpoint health, then the affected messages' statuses. If
 * MongoDB is down the batch is kept and written again; meanwhile the leases expire and another
 * attempt may happen, which at-least-once allows.
 */
@Injectable()
export class OutcomeWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(OutcomeWriter.name);
  private buffer: PendingOutcome[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly attempts: AttemptRepository,
    private readonly endpoints: EndpointRepository,
    private readonly messages: MessageRepository,
  ) {}

  add(outcome: PlannedOutcome, claimToken: string): void {
    this.buffer.push({ ...outcome, claimToken });
    if (this.buffer.length >= FLUSH_SIZE) this.flushSoon(0);
    else this.flushSoon(FLUSH_DELAY_MS);
  }

  /** Resolves when everything added so far is written. */
  async drain(): Promise<void> {
    while (this.buffer.length > 0 || this.flushing !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await (this.flushing ?? this.flush());
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private flushSoon(delayMs: number): void {
    if (this.timer !== undefined && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private async flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    const batch = this.buffer.splice(0, FLUSH_SIZE);
    if (batch.length === 0) return;
    this.flushing = this.write(batch)
      .catch((error: unknown) => {
        this.logger.warn(`writing ${batch.length} outcomes failed, retrying: ${String(error)}`);
        this.buffer.unshift(...batch);
        return new Promise<void>((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.buffer.length > 0) this.flushSoon(0);
      });
    return this.flushing;
  }

  private async write(batch: readonly PendingOutcome[]): Promise<void> {
    await Promise.all([
      this.attempts.insertMany(batch.flatMap((outcome) => outcome.attempt ?? [])),
      this.deliveries.recordOutcomes(
        batch.map((outcome) => ({
          deliveryId: outcome.deliveryId,
          claimToken: outcome.claimToken,
          update: outcome.update,
        })),
      ),
      this.endpoints.recordHealth(batch.flatMap((outcome) => outcome.health ?? [])),
    ]);
    const finished = new Set(batch.filter((o) => o.terminal).map((o) => o.messageId));
    await this.messages.refreshStatus([...finished]);
  }
}
