import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AttemptResult, DeliveryJob, EndpointTarget } from '@app/channels';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { traceAttempt } from '@app/tracing';
import {
  EndpointRepository,
  MessageRepository,
  signingSecrets,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';
import { EndpointGate } from '../isolation/endpoint-gate';
import { AttemptStarts, type Poisoned } from './attempt-starts';
import {
  LEASE_MARGIN_MS,
  SlotAccountant,
  type AttemptObservation,
} from '../isolation/slot-accountant';
import type { DeliverySlots } from '../store-messages/store-messages.command';
import { ChannelRegistry } from './channel-registry';
import { deliveryBatchFields, deliveryFields } from './log-fields';
import { MAX_UNWRITTEN_OUTCOMES, OutcomeWriter } from './outcome-writer';
import { planOutcome, planPoison, planSettlement, type PlannedOutcome } from './plan-outcome';

/** A claimed delivery waiting here for its endpoint to have room. */
interface Waiting {
  delivery: DeliveryEntity;
  claimToken: string;
  endpoint: EndpointEntity | undefined;
  message: MessageEntity | undefined;
}

/** The endpoints and messages of deliveries a caller already holds (intake just stored them). */
export interface Preloaded {
  endpoints: ReadonlyMap<string, EndpointEntity>;
  messages: ReadonlyMap<string, MessageEntity>;
}

export interface DispatchOptions {
  /** Attempt these without looking anything up. */
  preloaded?: Preloaded;
}

/**
 * Runs attempts for claimed deliveries. Every delivery handed to `dispatch` already holds a slot
 * of the SlotAccountant (taken with `tryTake` by intake, or by the scheduler's `pick`); the
 * dispatcher gives each back when its attempt ends or it is handed back. Callers hear from
 * `onSlotsFreed` when there is room again.
 *
 * An endpoint takes `limitFor` attempts at a time (the accountant's adaptive limit, enforced by
 * the EndpointGate). Rather than hand back what a busy endpoint cannot take yet, a few rounds of
 * it wait here, in claim order, and start the moment an attempt to that endpoint ends: a busy
 * endpoint keeps all its attempt slots busy without a claim per slot. Only as many wait as can
 * start within their lease even if every attempt before them takes its whole timeout; memory
 * stays bounded by DELIVERY_CONCURRENCY.
 */
@Injectable()
export class DeliveryDispatcher implements DeliverySlots {
  private readonly logger = new Logger(DeliveryDispatcher.name);
  private idleWaiters: (() => void)[] = [];
  private readonly slotListeners: ((endpointId?: string) => void)[] = [];
  /** Claimed deliveries waiting for their endpoint, oldest claim first. */
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(
    private readonly channels: ChannelRegistry,
    private readonly endpoints: EndpointRepository,
    private readonly messages: MessageRepository,
    private readonly writer: OutcomeWriter,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly gate: EndpointGate,
    private readonly attemptStarts: AttemptStarts,
    private readonly slots: SlotAccountant,
  ) {
    // Written outcomes may give room again (see throttle).
    writer.onWritten(() => {
      this.throttle();
      for (const listener of this.slotListeners) listener();
    });
  }

  /** Slots no app holds; fewer may be usable by a given app (SlotAccountant.roomForApp). */
  get freeSlots(): number {
    this.throttle();
    return this.slots.free;
  }

  /**
   * Takes a slot for a delivery about to be claimed if its app and its endpoint have room here
   * (see roomFor); says whether. `timeoutMs` is the endpoint's.
   */
  tryTake(appId: string, endpointId: string, timeoutMs?: number): boolean {
    if (this.roomFor(endpointId, timeoutMs) === 0) return false;
    this.throttle();
    return this.slots.tryTake(appId, endpointId);
  }

  /** Gives back a slot taken for a delivery that will not be dispatched after all. */
  giveBack(appId: string, endpointId: string): void {
    this.finished([{ appId, endpointId }]);
  }

  /**
   * How many more deliveries of this endpoint this notifier may claim now: up to the
   * accountant's allowance held (running or waiting), none while the gate blocks it (open
   * circuit, rate limit spent) and nothing of it runs here to end the block's wait.
   */
  roomFor(endpointId: string, timeoutMs?: number): number {
    if (timeoutMs !== undefined) this.slots.noteTimeout(endpointId, timeoutMs);
    if (this.slots.runningAt(endpointId) === 0 && this.gate.roomFor(endpointId) === 0) return 0;
    return this.slots.roomForEndpoint(endpointId);
  }

  /** Endpoints this notifier must not claim for now (see roomFor). */
  unavailableEndpoints(): string[] {
    const held = this.slots.heldEndpoints();
    const blocked = this.gate.unavailableEndpoints().filter((id) => this.slots.runningAt(id) === 0);
    return [...new Set([...blocked, ...held.filter((id) => this.roomFor(id) === 0)])];
  }

  /**
   * Called (synchronously) every time slots free up: with the endpoint whose attempt ended, or
   * without one when claimed deliveries were given back.
   */
  onSlotsFreed(listener: (endpointId?: string) => void): void {
    this.slotListeners.push(listener);
  }

  /**
   * Starts an attempt for each delivery (each holds a slot already); resolves once they are
   * started, not finished.
   */
  async dispatch(
    deliveries: readonly DeliveryEntity[],
    claimToken: string,
    options: DispatchOptions = {},
  ): Promise<void> {
    if (deliveries.length === 0) return;
    let endpoints: ReadonlyMap<string, EndpointEntity>;
    let messages: ReadonlyMap<string, MessageEntity>;
    try {
      ({ endpoints, messages } = options.preloaded ?? (await this.lookUp(deliveries)));
    } catch (error) {
      // The deliveries stay claimed until their lease expires; then any worker retries them.
      this.finished(deliveries);
      throw error;
    }
    const now: Waiting[] = [];
    const startingNow = new Map<string, number>();
    for (const delivery of deliveries) {
      const item: Waiting = {
        delivery,
        claimToken,
        endpoint: endpoints.get(delivery.endpointId),
        message: messages.get(delivery.messageId),
      };
      const id = delivery.endpointId;
      if (item.endpoint !== undefined) {
        this.slots.noteTimeout(id, item.endpoint.timeoutMs);
      }
      const starting = startingNow.get(id) ?? 0;
      const active = this.slots.runningAt(id) + starting;
      const queue = this.waiting.get(id) ?? [];
      // Behind others already waiting, or over the endpoint's limit while some of it runs: wait
      // here. Otherwise the gate decides (and postpones what it does not admit).
      const wait =
        active > 0 &&
        (queue.length > 0 || starting >= this.gate.roomFor(id)) &&
        active + queue.length < this.slots.allowanceFor(id);
      if (wait) {
        queue.push(item);
        this.waiting.set(id, queue);
      } else {
        now.push(item);
        startingNow.set(id, starting + 1);
      }
    }
    await this.start(now);
  }

  /** Resolves when nothing claimed is held here any more (graceful shutdown). */
  whenIdle(): Promise<void> {
    // Whatever still waits goes to the gate now; once it is closed, it gives them back.
    for (const endpointId of [...this.waiting.keys()]) this.startWaiting(endpointId, true);
    if (this.slots.total === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Through the gate (per endpoint: circuit breaker, the adaptive limit, rateLimitPerSecond),
   * then marked started and attempted. What the gate does not admit it postpones: not attempted,
   * not counted.
   */
  private async start(items: readonly Waiting[]): Promise<void> {
    for (const [claimToken, group] of groupBy(items, (item) => item.claimToken)) {
      const endpoints = new Map(
        group.flatMap((item) =>
          item.endpoint === undefined ? [] : [[item.endpoint._id, item.endpoint]],
        ),
      );
      let admitted: Set<DeliveryEntity>;
      try {
        admitted = new Set(
          await this.gate.admit(
            group.map((item) => item.delivery),
            endpoints,
            claimToken,
          ),
        );
      } catch (error) {
        // Left claimed until their lease expires; then any worker retries them.
        this.finished(group.map((item) => item.delivery));
        this.logger.warn(
          deliveryBatchFields(group.map((item) => item.delivery)),
          `admitting ${group.length} deliveries failed: ${String(error)}`,
        );
        continue;
      }
      const refused = group.filter((item) => !admitted.has(item.delivery));
      if (refused.length > 0) this.finished(refused.map((item) => item.delivery));
      const starting = group.filter((item) => admitted.has(item.delivery));
      const poisoned = await this.markStarted(starting, claimToken);
      for (const item of starting) this.run(item, poisoned.get(item.delivery._id));
    }
  }

  /**
   * The durable "attempt started" marker, one write per batch, and the deliveries whose earlier
   * attempts kept taking their notifier down (AttemptStarts). Should the write fail, the attempts
   * start all the same: at-least-once comes first, and the next claim counts what this one could
   * not.
   */
  private async markStarted(
    items: readonly Waiting[],
    claimToken: string,
  ): Promise<ReadonlyMap<string, Poisoned>> {
    if (items.length === 0) return new Map();
    try {
      return await this.attemptStarts.begin(
        items.map((item) => item.delivery),
        claimToken,
      );
    } catch (error) {
      this.logger.warn(
        deliveryBatchFields(items.map((item) => item.delivery)),
        `marking ${items.length} attempts started failed: ${String(error)}`,
      );
      return new Map();
    }
  }

  private run({ delivery, claimToken, endpoint, message }: Waiting, poisoned?: Poisoned): void {
    const endpointId = delivery.endpointId;
    const startedAt = performance.now();
    let observation: AttemptObservation | undefined;
    void this.attempt(delivery, endpoint, message, poisoned)
      .then(({ outcome, result }) => {
        if (result !== undefined) {
          observation = {
            startedAt,
            durationMs: result.durationMs,
            timeoutMs: this.slots.timeoutFor(endpointId),
            answered: result.statusCode !== undefined || result.outcome === 'delivered',
          };
        }
        this.writer.add(outcome, claimToken);
      })
      .catch((error: unknown) =>
        this.logger.error(
          deliveryFields(delivery),
          `attempt of ${delivery._id} failed: ${String(error)}`,
        ),
      )
      .finally(() => {
        this.slots.attemptEnded(endpointId, observation);
        this.startWaiting(endpointId);
        this.finished([delivery], endpointId);
      });
  }

  /**
   * Starts what waits for the endpoint as far as the gate has room. When it has none and nothing
   * of the endpoint runs (its circuit opened, its rate limit is spent), or with `all`, everything
   * goes to the gate, which postpones what it does not admit.
   */
  private startWaiting(endpointId: string, all = false): void {
    const queue = this.waiting.get(endpointId);
    if (queue === undefined) return;
    let room = all ? queue.length : this.gate.roomFor(endpointId);
    if (room === 0) {
      if (this.slots.runningAt(endpointId) > 0) return;
      room = queue.length;
    }
    // Beyond what may wait now (the endpoint slowed down), the rest goes to the gate at once,
    // which postpones what it cannot admit.
    const waitable = Math.max(
      0,
      this.slots.allowanceFor(endpointId) - this.slots.runningAt(endpointId) - room,
    );
    const next = queue.splice(0, Math.max(room, queue.length - waitable));
    if (queue.length === 0) this.waiting.delete(endpointId);
    const nowMs = this.clock.now().getTime();
    const timeoutMs = this.slots.timeoutFor(endpointId);
    const inTime = next.filter((item) => {
      const leaseUntil = item.delivery.nextAttemptAt?.getTime() ?? 0;
      return leaseUntil - nowMs >= timeoutMs + LEASE_MARGIN_MS;
    });
    if (inTime.length < next.length) {
      // Too late to start within the lease: it comes back when the lease expires.
      const late = next.filter((item) => !inTime.includes(item)).map((item) => item.delivery);
      this.logger.warn(
        { endpointId, ...deliveryBatchFields(late) },
        `${late.length} deliveries waited past their lease`,
      );
      this.finished(late);
    }
    void this.start(inTime);
  }

  /** While too many outcomes wait to be written, only apps holding almost nothing take slots. */
  private throttle(): void {
    this.slots.throttle(this.writer.backlog >= MAX_UNWRITTEN_OUTCOMES);
  }

  private async attempt(
    delivery: DeliveryEntity,
    endpoint: EndpointEntity | undefined,
    message: MessageEntity | undefined,
    poisoned: Poisoned | undefined,
  ): Promise<{ outcome: PlannedOutcome; result?: AttemptResult }> {
    const now = this.clock.now();
    if (poisoned !== undefined) {
      return { outcome: planPoison(delivery, poisoned.reason, poisoned.lastStartedAt, now) };
    }
    if (endpoint === undefined || message === undefined) {
      return { outcome: planSettlement(delivery, 'cancelled', 'the endpoint was deleted', now) };
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
            channel.send(this.jobFor(message, endpoint, now)),
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

  private jobFor(message: MessageEntity, endpoint: EndpointEntity, now: Date): DeliveryJob {
    const target: EndpointTarget = {
      id: endpoint._id,
      headers: endpoint.headers,
      secrets: signingSecrets(endpoint.secrets, now).map((secret) => secret.secret),
      timeoutMs: this.slots.attemptTimeoutMs(endpoint.timeoutMs),
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

  private async lookUp(deliveries: readonly DeliveryEntity[]): Promise<Preloaded> {
    const [endpoints, messages] = await Promise.all([
      this.endpoints.findByIds(unique(deliveries.map((d) => d.endpointId))).then(byId),
      this.messages.findByIds(unique(deliveries.map((d) => d.messageId))).then(byId),
    ]);
    return { endpoints, messages };
  }

  /** Their slots are given back. */
  private finished(
    deliveries: readonly Pick<DeliveryEntity, 'appId' | 'endpointId'>[],
    endpointId?: string,
  ): void {
    for (const delivery of deliveries) this.slots.giveBack(delivery.appId, delivery.endpointId);
    for (const listener of this.slotListeners) listener(endpointId);
    if (this.slots.total > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group === undefined) groups.set(key(item), [item]);
    else group.push(item);
  }
  return groups;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function byId<T extends { _id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [item._id, item]));
}
