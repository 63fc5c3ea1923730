import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { logsAt } from '@app/common';
import { MessageStatusRefresh } from './message-status-refresh';
import { outcomeBatchFields, outcomeLogFields } from '../log-fields';
import { recordOutcomeMetrics } from './outcome-metrics';
import type { PlannedOutcome } from './plan-outcome';
import type { PendingOutcome, RecordOutcomesCommand } from './record-outcomes.command';
import { RecordOutcomesUseCase } from './record-outcomes.usecase';

/**
 * Outcomes written at most per batch. 400 rather than 200 since a notifier holds 400 slots: the
 * 100,000-retry drain took 45.8-55.7 s against 47.7-56.3 s (npm run bench -- --only retries,
 * four interleaved pairs, none slower).
 */
const FLUSH_SIZE = 400;
/**
 * Outcomes waiting to be written beyond which the dispatcher takes no new work (see backlog): a
 * slow MongoDB slows attempts down instead of filling memory.
 */
export const MAX_UNWRITTEN_OUTCOMES = 5 * FLUSH_SIZE;
/**
 * How long an outcome waits for others before its batch is written, when the batch is not full,
 * counted from the oldest outcome in it: also when it arrived while the batch before was being
 * written, so that at a low rate the writes do not follow each other back to back. Outcomes are
 * written after their attempt, so this delays no attempt; it only turns a write per outcome or
 * two into one per many, which leaves MongoDB free for intake. At 200 msg/s (npm run bench --
 * --only latency), a batch written at once after the one before with 25 ms here: p50 / p99
 * publish -> first attempt 22-26 / 53-62 ms at 8.3-8.7 ms of CPU a delivery; waiting from the
 * oldest outcome, 100 ms: 16 / 50 ms at 8.1 ms, 200 ms: 15 / 41-47 ms at 7.5-7.9 ms.
 */
export const FLUSH_DELAY_MS = 100;
/**
 * The same for a batch holding an ordered delivery's outcome: the next message of its key is
 * handed on only once it is written (KeyHandOff), so it waits no longer than before.
 */
export const ORDERED_FLUSH_DELAY_MS = 25;
const RETRY_DELAY_MS = 1_000;
const SHUTDOWN_DRAIN_MS = 15_000;

/**
 * Collects attempt outcomes and has them written in batches (RecordOutcomesUseCase): a batch as
 * soon as FLUSH_SIZE are waiting, else FLUSH_DELAY_MS after the oldest of them arrived. If MongoDB
 * is down the batch is kept and written again, as it was and before any other; meanwhile the
 * leases expire and another attempt may happen, which at-least-once allows. Each batch is named by
 * this writer's id and its number, so that writing it again changes nothing twice.
 */
@Injectable()
export class OutcomeWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(OutcomeWriter.name);
  private buffer: PendingOutcome[] = [];
  /** A batch whose write failed: written again, unchanged, before anything else. */
  private retrying: RecordOutcomesCommand | undefined;
  private readonly writerId = randomUUID();
  private batches = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** When the buffer is due to be written if it does not fill first (performance.now()). */
  private dueAt = Number.POSITIVE_INFINITY;
  private flushing: Promise<void> | undefined;
  private writing = 0;
  private readonly writtenListeners: (() => void)[] = [];

  constructor(
    private readonly recordOutcomes: RecordOutcomesUseCase,
    private readonly statuses: MessageStatusRefresh,
  ) {
    // Its pending deliveries count in the backlog: a refresh ending may lift the throttle.
    statuses.onRefreshed(() => this.tellWritten());
  }

  /** Outcomes added and not written yet, their messages' statuses included. */
  get backlog(): number {
    return (
      this.buffer.length +
      (this.retrying?.outcomes.length ?? 0) +
      this.writing +
      this.statuses.pending
    );
  }

  /**
   * Called after every batch written (or given up on for now), and after every refresh of their
   * messages' statuses: the backlog shrank.
   */
  onWritten(listener: () => void): void {
    this.writtenListeners.push(listener);
  }

  add(outcome: PlannedOutcome, claimToken: string): void {
    recordOutcomeMetrics(outcome);
    // The hot path: fields are built only when debug lines are written.
    if (outcome.attempt !== undefined && logsAt('debug')) {
      this.logger.debug(
        outcomeLogFields(outcome),
        `attempt ${outcome.attempt.attempt} ${outcome.attempt.outcome}`,
      );
    }
    this.buffer.push({ ...outcome, claimToken });
    const delayMs = outcome.ordering === undefined ? FLUSH_DELAY_MS : ORDERED_FLUSH_DELAY_MS;
    this.dueAt = Math.min(this.dueAt, performance.now() + delayMs);
    this.flushAt(this.due);
  }

  /**
   * Resolves when everything added so far is written: true. Or, when MongoDB stays down, once
   * `timeoutMs` has passed: false, and what is left is not written (its deliveries are attempted
   * again when their leases expire).
   */
  async drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.unwritten > 0 || this.flushing !== undefined) {
      if (Date.now() >= deadline) return false;
      clearTimeout(this.timer);
      this.timer = undefined;
      await (this.flushing ?? this.flush());
    }
    while (!(await this.statuses.settled())) {
      if (Date.now() >= deadline) return false;
    }
    return true;
  }

  /** Usually drained already by NotifierLifecycle; bounded so that shutdown always ends. */
  async onApplicationShutdown(): Promise<void> {
    if (await this.drain(SHUTDOWN_DRAIN_MS)) return;
    const left = [...(this.retrying?.outcomes ?? []), ...this.buffer];
    if (left.length > 0) {
      this.logger.warn(
        outcomeBatchFields(left),
        `${left.length} outcomes not written at shutdown; their deliveries come back when their leases expire`,
      );
    }
    if (this.statuses.pending > 0) {
      this.logger.warn(
        `${this.statuses.pending} messages' statuses not refreshed at shutdown; MessageStatusRepair recomputes them`,
      );
    }
  }

  /** When the buffer is to be written: at once when full, else when its oldest outcome is due. */
  private get due(): number {
    return this.buffer.length >= FLUSH_SIZE ? 0 : this.dueAt;
  }

  /** Writes the buffer at `at` (performance.now()), unless a write is set for earlier already. */
  private flushAt(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      Math.max(0, at - performance.now()),
    );
  }

  private get unwritten(): number {
    return this.buffer.length + (this.retrying?.outcomes.length ?? 0);
  }

  private async flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    const batch = this.retrying ?? this.nextBatch();
    if (batch === undefined) return;
    this.retrying = undefined;
    this.writing = batch.outcomes.length;
    this.flushing = this.write(batch)
      .catch((error: unknown) => {
        this.logger.warn(
          outcomeBatchFields(batch.outcomes),
          `writing ${batch.outcomes.length} outcomes failed, retrying: ${String(error)}`,
        );
        this.retrying = batch;
        this.writing = 0;
        return new Promise<void>((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      })
      .finally(() => {
        this.flushing = undefined;
        this.writing = 0;
        if (this.retrying !== undefined) this.flushAt(0);
        else if (this.buffer.length > 0) this.flushAt(this.due);
        this.tellWritten();
      });
    return this.flushing;
  }

  private tellWritten(): void {
    for (const listener of this.writtenListeners) listener();
  }

  private nextBatch(): RecordOutcomesCommand | undefined {
    const outcomes = this.buffer.splice(0, FLUSH_SIZE);
    if (outcomes.length === 0) return undefined;
    if (this.buffer.length === 0) this.dueAt = Number.POSITIVE_INFINITY;
    this.batches += 1;
    return { writer: this.writerId, number: this.batches, outcomes };
  }

  private async write(batch: RecordOutcomesCommand): Promise<void> {
    await this.recordOutcomes.execute(batch);
    for (const outcome of batch.outcomes) this.logEnd(outcome);
  }

  /** A delivery that ended without success, once that is written. */
  private logEnd(outcome: PendingOutcome): void {
    const { status, attemptCount, lastError } = outcome.update;
    if (status === 'failed') {
      this.logger.warn(
        outcomeLogFields(outcome),
        `delivery failed after ${attemptCount} attempt${attemptCount === 1 ? '' : 's'}: ${lastError ?? 'failed'}`,
      );
    } else if (status === 'cancelled') {
      this.logger.log(outcomeLogFields(outcome), `delivery cancelled: ${lastError ?? 'cancelled'}`);
    }
  }
}
