import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DeliveryJob, EndpointTarget } from '@app/channels';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import {
  EndpointRepository,
  MessageRepository,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';
import { ChannelRegistry } from './channel-registry';
import { OutcomeWriter } from './outcome-writer';
import { planOutcome, planSettlement, type PlannedOutcome } from './plan-outcome';

/** An attempt must end well inside its lease, or another worker could start the same one. */
const LEASE_MARGIN_MS = 10_000;

/**
 * Runs attempts for claimed deliveries, at most DELIVERY_CONCURRENCY at once. Callers ask for
 * `freeSlots` before claiming, so nothing claimed waits in memory for long.
 */
@Injectable()
export class DeliveryDispatcher {
  private readonly logger = new Logger(DeliveryDispatcher.name);
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly channels: ChannelRegistry,
    private readonly endpoints: EndpointRepository,
    private readonly messages: MessageRepository,
    private readonly writer: OutcomeWriter,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  get freeSlots(): number {
    return Math.max(0, this.config.deliveryConcurrency - this.inFlight);
  }

  /** Starts an attempt for each delivery; resolves once they are started, not finished. */
  async dispatch(deliveries: readonly DeliveryEntity[], claimToken: string): Promise<void> {
    if (deliveries.length === 0) return;
    this.inFlight += deliveries.length;
    let endpoints: Map<string, EndpointEntity>;
    let messages: Map<string, MessageEntity>;
    try {
      [endpoints, messages] = await Promise.all([
        this.endpoints.findByIds(unique(deliveries.map((d) => d.endpointId))).then(byId),
        this.messages.findByIds(unique(deliveries.map((d) => d.messageId))).then(byId),
      ]);
    } catch (error) {
      // The deliveries stay claimed until their lease expires; then any worker retries them.
      this.finished(deliveries.length);
      throw error;
    }
    for (const delivery of deliveries) {
      void this.attempt(
        delivery,
        endpoints.get(delivery.endpointId),
        messages.get(delivery.messageId),
      )
        .then((outcome) => this.writer.add(outcome, claimToken))
        .catch((error: unknown) =>
          this.logger.error(`attempt of ${delivery._id} failed: ${String(error)}`),
        )
        .finally(() => this.finished(1));
    }
  }

  /** Resolves when no attempt is running (graceful shutdown). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async attempt(
    delivery: DeliveryEntity,
    endpoint: EndpointEntity | undefined,
    message: MessageEntity | undefined,
  ): Promise<PlannedOutcome> {
    const now = this.clock.now();
    if (endpoint === undefined || message === undefined) {
      return planSettlement(delivery, 'cancelled', 'the endpoint was deleted', now);
    }
    if (!endpoint.enabled) {
      const reason = `the endpoint is disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`;
      return planSettlement(delivery, 'failed', reason, now);
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
        : await channel.send(this.jobFor(message, endpoint, now));
    return planOutcome({
      delivery,
      schedule: endpoint.retrySchedule ?? this.config.retrySchedule,
      result,
      startedAt,
      now: this.clock.now(),
      random: Math.random,
    });
  }

  private jobFor(message: MessageEntity, endpoint: EndpointEntity, now: Date): DeliveryJob {
    const target: EndpointTarget = {
      id: endpoint._id,
      headers: endpoint.headers,
      secrets: endpoint.secrets
        .filter((secret) => secret.expiresAt === undefined || secret.expiresAt > now)
        .map((secret) => secret.secret),
      timeoutMs: Math.min(endpoint.timeoutMs, this.config.leaseMs - LEASE_MARGIN_MS),
      ...(endpoint.url === undefined ? {} : { url: endpoint.url }),
      ...(endpoint.to === undefined ? {} : { to: endpoint.to }),
      ...(endpoint.successBody === undefined ? {} : { successBody: endpoint.successBody }),
      ...(endpoint.template === undefined ? {} : { template: endpoint.template }),
    };
    return {
      messageId: message._id,
      eventType: message.eventType,
      payload: message.payload,
      createdAt: message.createdAt,
      endpoint: target,
    };
  }

  private finished(count: number): void {
    this.inFlight -= count;
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function byId<T extends { _id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [item._id, item]));
}
