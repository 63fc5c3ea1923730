import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DeliveryJob, EndpointTarget } from '@app/channels';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
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
import { ChannelRegistry } from './channel-registry';
import { deliveryBatchFields, deliveryFields } from './log-fields';
import { MAX_UNWRITTEN_OUTCOMES, OutcomeWriter } from './outcome-writer';
import { planOutcome, planPoison, planSettlement, type PlannedOutcome } from './plan-outcome';

/** An attempt must end well inside its lease, or another worker could start the same one. */
const LEASE_MARGIN_MS = 10_000;
/** The longest attempt timeout an endpoint may have (CONTRACT.md): assumed until one is known. */
const MAX_TIMEOUT_MS = 60_000;
/**
 * About how long a claimed delivery may wait here for its endpoint, judged by how long the
 * endpoint's attempts take: a fast endpoint gets a few rounds waiting, a slow or hanging one none,
 * so it holds no more than ENDPOINT_CONCURRENCY of this notifier's slots (ADR 0006).
 */
const MAX_LOCAL_WAIT_MS = 1_000;
/** Endpoints whose timeout and attempt duration are remembered (the most recent ones). */
const ENDPOINT_MEMORY = 10_000;

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
  /** Slots taken with `reserve` for these deliveries; those not used are given back. */
  reserved?: number;
}

/**
 * Runs attempts for claimed deliveries, at most DELIVERY_CONCURRENCY claimed at once. Callers ask
 * for `freeSlots` (or `reserve` them) and `roomFor` each endpoint before claiming, and hear from
 * `onSlotsFreed` when there is room again.
 *
 * An endpoint takes ENDPOINT_CONCURRENCY attempts at a time (EndpointGate). Rather than hand back
 * what a busy endpoint cannot take yet, a few rounds of it wait here, in claim order, and start
 * the moment an attempt to that endpoint ends: a busy endpoint keeps all its attempt slots busy
 * without a claim per slot. Only as many wait as can start within their lease even if every
 * attempt before them takes its whole timeout; memory stays bounded by DELIVERY_CONCURRENCY.
 */
@Injectable()
export class DeliveryDispatcher {
  private readonly logger = new Logger(DeliveryDispatcher.name);
  /** Attempts running plus slots reserved for attempts about to start. */
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly slotListeners: ((endpointId?: string) => void)[] = [];
  /** Attempts started (admitted by the gate) per endpoint. */
  private readonly running = new Map<string, number>();
  /** Claimed deliveries waiting for their endpoint, oldest claim first. */
  private readonly waiting = new Map<string, Waiting[]>();
  /** Recently seen endpoints: attempt timeout, and attempt duration (a moving average), ms. */
  private readonly known = new Map<string, { timeoutMs: number; paceMs?: number }>();

  constructor(
    private readonly channels: ChannelRegistry,
    private readonly endpoints: EndpointRepository,
    private readonly messages: MessageRepository,
    private readonly writer: OutcomeWriter,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly gate: EndpointGate,
    private readonly attemptStarts: AttemptStarts,
  ) {
    // Written outcomes may give room again (see freeSlots).
    writer.onWritten(() => {
      for (const listener of this.slotListeners) listener();
    });
  }

  /** None while too many outcomes wait to be written: memory stays bounded when MongoDB is slow. */
  get freeSlots(): number {
    if (this.writer.backlog >= MAX_UNWRITTEN_OUTCOMES) return 0;
    return Math.max(0, this.config.deliveryConcurrency - this.inFlight);
  }

  /** Holds up to `wanted` slots for deliveries about to be claimed; returns how many it holds. */
  reserve(wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.freeSlots));
    this.inFlight += granted;
    return granted;
  }

  /** Gives back reserved slots that will not be used. */
  release(count: number): void {
    if (count > 0) this.finished(count);
  }

  /**
   * How many more deliveries of this endpoint this notifier may claim now: up to `allowanceFor`
   * held (running or waiting), none while the gate blocks it (open circuit, rate limit spent) and
   * nothing of it runs here to end the block's wait.
   */
  roomFor(endpointId: string, timeoutMs?: number): number {
    if (timeoutMs !== undefined) this.noteTimeout(endpointId, timeoutMs);
    const running = this.running.get(endpointId) ?? 0;
    if (running === 0 && this.gate.roomFor(endpointId) === 0) return 0;
    const held = running + (this.waiting.get(endpointId)?.length ?? 0);
    return Math.max(0, this.allowanceFor(endpointId) - held);
  }

  /**
   * Deliveries of one endpoint held at most: ENDPOINT_CONCURRENCY running, plus as many rounds of
   * it waiting as its recent attempts get through in about MAX_LOCAL_WAIT_MS (none until some have
   * ended), and never more rounds than fit in the lease if every attempt took its whole timeout,
   * so the last one waiting still starts in time.
   */
  allowanceFor(endpointId: string): number {
    const { timeoutMs, paceMs } = this.known.get(endpointId) ?? { timeoutMs: MAX_TIMEOUT_MS };
    const leaseRounds = Math.floor((this.config.leaseMs - LEASE_MARGIN_MS) / timeoutMs);
    const waitRounds =
      paceMs === undefined
        ? 0
        : Math.min(leaseRounds - 1, Math.floor(MAX_LOCAL_WAIT_MS / Math.max(1, paceMs)));
    return this.config.endpointConcurrency * (1 + Math.max(0, waitRounds));
  }

  /** Endpoints this notifier must not claim for now (see roomFor). */
  unavailableEndpoints(): string[] {
    const held = new Set([...this.running.keys(), ...this.waiting.keys()]);
    const blocked = this.gate.unavailableEndpoints().filter((id) => !this.running.has(id));
    return [...new Set([...blocked, ...[...held].filter((id) => this.roomFor(id) === 0)])];
  }

  /**
   * Called (synchronously) every time slots free up: with the endpoint whose attempt ended, or
   * without one when claimed deliveries were given back.
   */
  onSlotsFreed(listener: (endpointId?: string) => void): void {
    this.slotListeners.push(listener);
  }

  /** Starts an attempt for each delivery; resolves once they are started, not finished. */
  async dispatch(
    deliveries: readonly DeliveryEntity[],
    claimToken: string,
    options: DispatchOptions = {},
  ): Promise<void> {
    const unreserved = deliveries.length - (options.reserved ?? 0);
    if (unreserved >= 0) this.inFlight += unreserved;
    else this.finished(-unreserved);
    if (deliveries.length === 0) return;
    let endpoints: ReadonlyMap<string, EndpointEntity>;
    let messages: ReadonlyMap<string, MessageEntity>;
    try {
      ({ endpoints, messages } = options.preloaded ?? (await this.lookUp(deliveries)));
    } catch (error) {
      // The deliveries stay claimed until their lease expires; then any worker retries them.
      this.finished(deliveries.length);
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
        this.noteTimeout(id, item.endpoint.timeoutMs);
      }
      const starting = startingNow.get(id) ?? 0;
      const active = (this.running.get(id) ?? 0) + starting;
      const queue = this.waiting.get(id) ?? [];
      // Behind others already waiting, or over the endpoint's concurrency while some of it runs:
      // wait here. Otherwise the gate decides (and postpones what it does not admit).
      const wait =
        active > 0 &&
        (queue.length > 0 || starting >= this.gate.roomFor(id)) &&
        active + queue.length < this.allowanceFor(id);
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
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Through the gate (per endpoint: circuit breaker, ENDPOINT_CONCURRENCY, rateLimitPerSecond),
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
        this.finished(group.length);
        this.logger.warn(
          deliveryBatchFields(group.map((item) => item.delivery)),
          `admitting ${group.length} deliveries failed: ${String(error)}`,
        );
        continue;
      }
      if (admitted.size < group.length) this.finished(group.length - admitted.size);
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
    this.running.set(endpointId, (this.running.get(endpointId) ?? 0) + 1);
    void this.attempt(delivery, endpoint, message, poisoned)
      .then((outcome) => this.writer.add(outcome, claimToken))
      .catch((error: unknown) =>
        this.logger.error(
          deliveryFields(delivery),
          `attempt of ${delivery._id} failed: ${String(error)}`,
        ),
      )
      .finally(() => {
        this.gate.done(endpointId);
        this.notePace(endpointId, performance.now() - startedAt);
        const running = (this.running.get(endpointId) ?? 1) - 1;
        if (running > 0) this.running.set(endpointId, running);
        else this.running.delete(endpointId);
        this.startWaiting(endpointId);
        this.finished(1, endpointId);
      });
  }

  private noteTimeout(endpointId: string, endpointTimeoutMs: number): void {
    const timeoutMs = this.attemptTimeoutMs(endpointTimeoutMs);
    const seen = this.known.get(endpointId);
    if (seen !== undefined) seen.timeoutMs = timeoutMs;
    else this.remember(endpointId, { timeoutMs });
  }

  private notePace(endpointId: string, durationMs: number): void {
    const seen = this.known.get(endpointId) ?? { timeoutMs: MAX_TIMEOUT_MS };
    seen.paceMs = seen.paceMs === undefined ? durationMs : 0.8 * seen.paceMs + 0.2 * durationMs;
    this.remember(endpointId, seen);
  }

  /** Most recently used last; the oldest is forgotten beyond ENDPOINT_MEMORY. */
  private remember(endpointId: string, seen: { timeoutMs: number; paceMs?: number }): void {
    this.known.delete(endpointId);
    this.known.set(endpointId, seen);
    if (this.known.size > ENDPOINT_MEMORY) this.known.delete(this.known.keys().next().value!);
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
      if (this.running.has(endpointId)) return;
      room = queue.length;
    }
    // Beyond what may wait now (the endpoint slowed down), the rest goes to the gate at once,
    // which postpones what it cannot admit.
    const waitable = Math.max(
      0,
      this.allowanceFor(endpointId) - (this.running.get(endpointId) ?? 0) - room,
    );
    const next = queue.splice(0, Math.max(room, queue.length - waitable));
    if (queue.length === 0) this.waiting.delete(endpointId);
    const nowMs = this.clock.now().getTime();
    const inTime = next.filter((item) => {
      const leaseUntil = item.delivery.nextAttemptAt?.getTime() ?? 0;
      const timeoutMs = this.known.get(endpointId)?.timeoutMs ?? MAX_TIMEOUT_MS;
      return leaseUntil - nowMs >= timeoutMs + LEASE_MARGIN_MS;
    });
    if (inTime.length < next.length) {
      // Too late to start within the lease: it comes back when the lease expires.
      const late = next.filter((item) => !inTime.includes(item)).map((item) => item.delivery);
      this.logger.warn(
        { endpointId, ...deliveryBatchFields(late) },
        `${late.length} deliveries waited past their lease`,
      );
      this.finished(next.length - inTime.length);
    }
    void this.start(inTime);
  }

  private attemptTimeoutMs(endpointTimeoutMs: number): number {
    return Math.min(endpointTimeoutMs, this.config.leaseMs - LEASE_MARGIN_MS);
  }

  private async attempt(
    delivery: DeliveryEntity,
    endpoint: EndpointEntity | undefined,
    message: MessageEntity | undefined,
    poisoned: Poisoned | undefined,
  ): Promise<PlannedOutcome> {
    const now = this.clock.now();
    if (poisoned !== undefined) {
      return planPoison(delivery, poisoned.reason, poisoned.lastStartedAt, now);
    }
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
      secrets: signingSecrets(endpoint.secrets, now).map((secret) => secret.secret),
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

  private async lookUp(deliveries: readonly DeliveryEntity[]): Promise<Preloaded> {
    const [endpoints, messages] = await Promise.all([
      this.endpoints.findByIds(unique(deliveries.map((d) => d.endpointId))).then(byId),
      this.messages.findByIds(unique(deliveries.map((d) => d.messageId))).then(byId),
    ]);
    return { endpoints, messages };
  }

  private finished(count: number, endpointId?: string): void {
    this.inFlight -= count;
    for (const listener of this.slotListeners) listener(endpointId);
    if (this.inFlight > 0) return;
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
