import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import {
  AttemptRepository,
  DeliveryRepository,
  EndpointHealthRepository,
  StatusRefreshRepository,
  type StatusRefreshEntity,
} from '@app/dal';
import { CircuitBreaker } from '../isolation/circuit-breaker';
import { healthUpdates } from '../isolation/circuit-rules';
import { OutcomeEvents } from '../platform-events/outcome-events';
import { FallbackDeliveries } from './fallback-deliveries';
import { KeyHandOff } from './key-hand-off';
import { MessageStatusRefresh } from './message-status-refresh';
import type { PendingOutcome, RecordOutcomesCommand } from './record-outcomes.command';

/**
 * Writes a batch of attempt outcomes (the OutcomeWriter collects them): first, when the batch ends
 * deliveries, the status refresh it owes their messages (StatusRefreshRepository); then one
 * insertMany for the attempt log, one bulkWrite each for deliveries and endpoint health; then the
 * circuits of endpoints failing hard, the ordering keys of ordered deliveries that ended
 * (KeyHandOff) and the fallbacks of failed ones; the messages' statuses follow beside the next
 * batches (MessageStatusRefresh). Every write is idempotent, so a batch written again after a
 * partial write changes nothing twice: attempts and deliveries by their ids and claim, endpoint
 * health and the owed refresh by the batch's writer and number.
 */
@Injectable()
export class RecordOutcomesUseCase {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly attempts: AttemptRepository,
    private readonly health: EndpointHealthRepository,
    private readonly statuses: MessageStatusRefresh,
    private readonly fallbacks: FallbackDeliveries,
    private readonly circuit: CircuitBreaker,
    private readonly events: OutcomeEvents,
    private readonly handOff: KeyHandOff,
    private readonly owedRefreshes: StatusRefreshRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ writer, number, outcomes: batch }: RecordOutcomesCommand): Promise<void> {
    // The refresh is owed before the outcomes land, so that a crash after them cannot lose it.
    const [, owed] = await Promise.all([
      this.events.beforeWrite(batch),
      this.oweRefresh(writer, number, batch),
    ]);
    await Promise.all([
      this.attempts.insertMany(batch.flatMap((outcome) => outcome.attempt ?? [])),
      this.deliveries.recordOutcomes(
        batch.map((outcome) => ({
          deliveryId: outcome.deliveryId,
          claimToken: outcome.claimToken,
          update: outcome.update,
          ordered: outcome.ordering !== undefined,
        })),
      ),
      this.health.record(
        healthUpdates(batch.flatMap((outcome) => outcome.health ?? [])),
        { writer, batch: number },
        new Set(
          batch.flatMap((outcome) =>
            outcome.context?.circuitOpenUntil === undefined ? [] : [outcome.endpointId],
          ),
        ),
      ),
    ]);
    // After the health it reads: open or disable the circuits of endpoints failing hard.
    const transitions = await this.circuit.afterOutcomes(
      batch.flatMap((outcome) => outcome.health ?? []),
    );
    // Raised now: on a batch written again the breaker finds nothing left to decide.
    this.events.afterWrite(batch, transitions);
    // Ordered deliveries that ended hand their keys on (or block them).
    await this.handOff.afterOutcomes(batch);
    // Before the statuses: a message whose delivery failed over to a fallback is still pending.
    await this.fallbacks.createFor(
      batch.filter((o) => o.update.status === 'failed').map((o) => o.deliveryId),
    );
    if (owed !== undefined) this.statuses.add([owed]);
  }

  /** The status refresh a batch that ends deliveries owes their messages, written down. */
  private async oweRefresh(
    writer: string,
    number: number,
    batch: readonly PendingOutcome[],
  ): Promise<StatusRefreshEntity | undefined> {
    const messageIds = [...new Set(batch.filter((o) => o.terminal).map((o) => o.messageId))];
    if (messageIds.length === 0) return undefined;
    return this.owedRefreshes.owe({ _id: `${writer}:${number}`, messageIds }, this.clock.now());
  }
}
