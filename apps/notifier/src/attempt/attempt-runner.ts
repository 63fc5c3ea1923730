import { Inject, Injectable } from '@nestjs/common';
import type { AttemptResult } from '@app/channels';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import type { DeliveryEntity, EndpointEntity, MessageEntity } from '@app/dal';
import { traceAttempt } from '@app/tracing';
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
 * planned into an outcome (what to write, record-outcomes/plan-outcome). A poisoned delivery, or
 * one whose endpoint or message is gone or whose endpoint is disabled, is settled without a call.
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
  ): Promise<{ outcome: PlannedOutcome; result?: AttemptResult }> {
    const planned = await this.plan(delivery, endpoint, message, poisoned);
    const attempted =
      delivery.ordering === undefined
        ? planned
        : {
            ...planned,
            outcome: {
              ...planned.outcome,
              ordering: {
                ...delivery.ordering,
                blockOnFailure: endpoint?.orderedBlockOnFailure === true,
              },
            },
          };
    if (endpoint === undefined || message === undefined) return attempted;
    const context: AttemptContext = {
      eventType: message.eventType,
      endpointUpdatedAt: endpoint.updatedAt,
      consecutiveFailures: endpoint.consecutiveFailures,
      ...(endpoint.circuitOpenUntil === undefined
        ? {}
        : { circuitOpenUntil: endpoint.circuitOpenUntil }),
    };
    return { ...attempted, outcome: { ...attempted.outcome, context } };
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
