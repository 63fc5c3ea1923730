import { Inject, Injectable } from '@nestjs/common';
import { asksToBackOff, type AttemptResult } from '@app/channels';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import type { DeliveryEntity, EndpointEntity, MessageEntity } from '@app/dal';
import { traceAttempt } from '@app/tracing';
import type { AttemptObservation } from '../isolation/endpoint-limits';
import { SlotAccountant } from '../isolation/slot-accountant';
import {
  planOutcome,
  planPoison,
  planSettlement,
  type AttemptContext,
  type PlannedOutcome,
} from '../record-outcomes/plan-outcome';
import type { Poisoned } from './attempt-starts';
import { attemptJob } from './attempt-job';
import { ChannelRegistry } from './channel-registry';

/**
 * One attempt of one delivery, admitted and marked started: through its endpoint's channel, and
 * planned into an outcome (what to write, record-outcomes/plan-outcome), with what the call told
 * about its endpoint (for the SlotAccountant). A poisoned delivery, or one whose endpoint or
 * message is gone or whose endpoint is disabled, is settled without a call.
 */
@Injectable()
export class AttemptRunner {
  constructor(
    private readonly channels: ChannelRegistry,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly slots: SlotAccountant,
  ) {}

  async attempt(
    delivery: DeliveryEntity,
    endpoint: EndpointEntity | undefined,
    message: MessageEntity | undefined,
    poisoned: Poisoned | undefined,
  ): Promise<{ outcome: PlannedOutcome; observation?: AttemptObservation }> {
    const startedAt = performance.now();
    const planned = await this.plan(delivery, endpoint, message, poisoned);
    const observation =
      planned.result && this.observe(delivery.endpointId, startedAt, planned.result);
    const outcome =
      delivery.ordering === undefined
        ? planned.outcome
        : {
            ...planned.outcome,
            ordering: {
              ...delivery.ordering,
              blockOnFailure: endpoint?.orderedBlockOnFailure === true,
            },
          };
    if (endpoint === undefined || message === undefined) return { outcome, observation };
    const context: AttemptContext = {
      eventType: message.eventType,
      endpointUpdatedAt: endpoint.updatedAt,
      consecutiveFailures: endpoint.consecutiveFailures,
      ...(endpoint.circuitOpenUntil === undefined
        ? {}
        : { circuitOpenUntil: endpoint.circuitOpenUntil }),
    };
    return { outcome: { ...outcome, context }, observation };
  }

  /** What a call (not a settlement without one) tells the accountant about its endpoint. */
  private observe(
    endpointId: string,
    startedAt: number,
    result: AttemptResult,
  ): AttemptObservation {
    return {
      startedAt,
      durationMs: result.durationMs,
      timeoutMs: this.slots.timeoutFor(endpointId),
      answered: result.statusCode !== undefined || result.outcome === 'delivered',
      overloaded: asksToBackOff(result.statusCode),
    };
  }

  private async plan(
    delivery: DeliveryEntity,
    endpoint: EndpointEntity | undefined,
    message: MessageEntity | undefined,
    poisoned: Poisoned | undefined,
  ): Promise<{ outcome: PlannedOutcome; result?: AttemptResult }> {
    const now = this.clock.now();
    if (poisoned !== undefined) {
      return { outcome: planPoison(delivery, poisoned.reason, poisoned.lastStartedAt, now) };
    }
    if (endpoint === undefined) {
      return { outcome: planSettlement(delivery, 'cancelled', 'the endpoint was deleted', now) };
    }
    // A notifier that died between intake's inserts of a message and its deliveries leaves these.
    if (message === undefined) {
      const reason = 'its message is not stored (removed, or never stored by a notifier that died)';
      return { outcome: planSettlement(delivery, 'cancelled', reason, now) };
    }
    if (!endpoint.enabled) {
      const reason = `the endpoint is disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`;
      return { outcome: planSettlement(delivery, 'failed', reason, now) };
    }
    const channel = this.channels.get(endpoint.channel);
    const startedAt = now;
    const result =
      channel === undefined
        ? {
            outcome: 'permanent' as const,
            durationMs: 0,
            error: `the ${endpoint.channel} channel is not available`,
          }
        : await traceAttempt({ trace: message.trace, delivery }, () =>
            channel.send(
              attemptJob(
                message,
                endpoint,
                now,
                this.slots.attemptTimeoutMs(endpoint.timeoutMs),
                delivery.ordering,
              ),
            ),
          );
    const outcome = planOutcome({
      delivery,
      schedule: endpoint.retrySchedule ?? this.config.retrySchedule,
      result,
      startedAt,
      now: this.clock.now(),
      random: Math.random,
    });
    return { outcome, result };
  }
}
