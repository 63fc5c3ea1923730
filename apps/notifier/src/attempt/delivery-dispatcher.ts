import { Injectable, Logger } from '@nestjs/common';
import { Clock, groupBy } from '@app/common';
import {
  MessageRepository,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';
import { EndpointGate } from '../isolation/endpoint-gate';
import { EndpointCache } from '../store-messages/endpoint-cache';
import type { AttemptObservation } from '../isolation/endpoint-limits';
import { SlotAccountant } from '../isolation/slot-accountant';
import { deliveryBatchFields, deliveryFields } from '../log-fields';
import { MAX_UNWRITTEN_OUTCOMES, OutcomeWriter } from '../record-outcomes/outcome-writer';
import type { DeliverySlots } from '../store-messages/store-messages.command';
import { AttemptRunner } from './attempt-runner';
import { AttemptStarts, type Poisoned } from './attempt-starts';
import { EndpointQueues, type Waiting } from './endpoint-queues';
import { lookUp, type Preloaded } from './look-up';
import { SlotsFreed, type SlotsFreedListener } from './slots-freed';

export interface DispatchOptions {
  /** What the attempts need, read already or being read (see `lookUp`). */
  preloaded?: Preloaded | Promise<Preloaded>;
}

/**
 * Runs attempts for claimed deliveries. Every delivery handed to `dispatch` already holds a slot
 * of the SlotAccountant (taken with `tryTake` by intake, or by the scheduler's `pick`); the
 * dispatcher gives each back when its attempt ends or it is handed back, and tells the
 * `onSlotsFreed` listeners. A delivery's way through it:
 *
 * 1. `dispatch`: its endpoint and message are looked up (look-up.ts) unless intake preloaded them;
 * 2. a busy endpoint's deliveries wait here for it (EndpointQueues), the others go on at once;
 * 3. `start`: through the EndpointGate (circuit, adaptive limit, rate limit, channel quota; what
 *    it does not admit it postpones), then marked started in one write per batch (AttemptStarts);
 * 4. `run`: attempted (AttemptRunner), its outcome handed to the OutcomeWriter; when it ends, the
 *    endpoint's accountant learns its duration, what waits for the endpoint starts, and its slot
 *    goes back (`finished`).
 */
@Injectable()
export class DeliveryDispatcher implements DeliverySlots {
  private readonly logger = new Logger(DeliveryDispatcher.name);
  private readonly queues: EndpointQueues;
  private readonly slotsFreed: SlotsFreed;

  constructor(
    private readonly runner: AttemptRunner,
    private readonly endpoints: EndpointCache,
    private readonly messages: MessageRepository,
    private readonly writer: OutcomeWriter,
    clock: Clock,
    private readonly gate: EndpointGate,
    private readonly attemptStarts: AttemptStarts,
    private readonly slots: SlotAccountant,
  ) {
    this.queues = new EndpointQueues(slots, gate, clock);
    this.slotsFreed = new SlotsFreed(slots);
    writer.onWritten(() => this.afterOutcomesWritten());
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

  /** See DeliverySlots.startsAtOnce. */
  startsAtOnce(endpointId: string, starting: number): boolean {
    return this.queues.startsAtOnce(endpointId, starting);
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

  /** Adds a listener told whenever slots may be free again (see SlotsFreedListener). */
  onSlotsFreed(listener: SlotsFreedListener): void {
    this.slotsFreed.listen(listener);
  }

  /**
   * Reads the endpoints and messages the attempts of these deliveries need: the scheduler starts
   * it beside its claim's write and hands the result to `dispatch` as `preloaded`.
   */
  lookUp(deliveries: readonly DeliveryEntity[]): Promise<Preloaded> {
    return lookUp(this.endpoints, this.messages, deliveries);
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
      ({ endpoints, messages } = await (options.preloaded ?? this.lookUp(deliveries)));
    } catch (error) {
      // The deliveries stay claimed until their lease expires; then any worker retries them.
      this.finished(deliveries);
      throw error;
    }
    const items: Waiting[] = deliveries.map((delivery) => ({
      delivery,
      claimToken,
      endpoint: endpoints.get(delivery.endpointId),
      message: messages.get(delivery.messageId),
    }));
    await this.start(this.queues.queueOrStart(items));
  }

  /** Resolves when nothing claimed is held here any more (graceful shutdown). */
  whenIdle(): Promise<void> {
    // Whatever still waits goes to the gate now; once it is closed, it gives them back.
    for (const endpointId of this.queues.endpointIds()) this.startWaiting(endpointId, true);
    return this.slotsFreed.whenNoneHeld();
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
      // The durable "attempt started" marker, one write per batch (AttemptStarts).
      const poisoned = await this.attemptStarts.begin(
        starting.map((item) => item.delivery),
        claimToken,
      );
      for (const item of starting) this.run(item, poisoned.get(item.delivery._id));
    }
  }

  private run({ delivery, claimToken, endpoint, message }: Waiting, poisoned?: Poisoned): void {
    const endpointId = delivery.endpointId;
    let observation: AttemptObservation | undefined;
    void this.runner
      .attempt(delivery, endpoint, message, poisoned)
      .then((attempted) => {
        observation = attempted.observation;
        this.writer.add(attempted.outcome, claimToken);
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

  /** Starts what waits for the endpoint and may start now (EndpointQueues.next). */
  private startWaiting(endpointId: string, all = false): void {
    const { inTime, late } = this.queues.next(endpointId, all);
    if (late.length > 0) {
      // Too late to start within the lease: it comes back when the lease expires.
      this.logger.warn(
        { endpointId, ...deliveryBatchFields(late) },
        `${late.length} deliveries waited past their lease`,
      );
      this.finished(late);
    }
    void this.start(inTime);
  }

  /** A batch of outcomes was written: the throttle may lift, so slots may be free again. */
  private afterOutcomesWritten(): void {
    this.throttle();
    this.slotsFreed.tell();
  }

  /** While too many outcomes wait to be written, only apps holding almost nothing take slots. */
  private throttle(): void {
    this.slots.throttle(this.writer.backlog >= MAX_UNWRITTEN_OUTCOMES);
  }

  /** The dispatcher is done with these: their slots go back (SlotsFreed). */
  private finished(
    deliveries: readonly Pick<DeliveryEntity, 'appId' | 'endpointId'>[],
    endpointId?: string,
  ): void {
    this.slotsFreed.giveBack(deliveries, endpointId);
  }
}
