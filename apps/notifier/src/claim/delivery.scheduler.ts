import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DeliveryClaimRepository, MAX_APPS_PER_CLAIM, type DeliveryEntity } from '@app/dal';
import { DeliveryDispatcher } from '../attempt/delivery-dispatcher';
import type { Preloaded } from '../attempt/look-up';
import { SlotAccountant } from '../isolation/slot-accountant';
import { KeyHandOff } from '../record-outcomes/key-hand-off';
import { waitingApps } from './waiting-apps';

const MAX_CLAIM_BATCH = 500;
const INTERVAL_NAME = 'claim-due-deliveries';

/**
 * Every SCHEDULER_INTERVAL, claims due deliveries (retries, expired leases, anything intake did
 * not attempt at once) in batches, fairly between apps (ADR 0008): each app's oldest due ones up
 * to its room here (SlotAccountant), apps in turn, and tells the accountant which apps still have
 * due work waiting, which caps the others at their fair share. While a backlog lasts it does not
 * wait for the interval: it claims again as soon as a quarter of the dispatcher's slots are free,
 * or, for an endpoint whose deliveries it had to leave due, as soon as half of what that endpoint
 * may hold here is free. Claims are atomic in MongoDB, so any number of notifiers can run this
 * side by side.
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliveryScheduler.name);
  /** The claims under way (tick's, and one for apps holding almost nothing beside it). */
  private running: Promise<void> | undefined;
  private newcomersRunning: Promise<void> | undefined;
  private stopped = false;
  /** The last claim filled what there was room for: more may be due. */
  private backlog = false;
  /** Deliveries were made due while a claim ran (kick): the claim that follows may not wait. */
  private kicked = false;
  /** Endpoints the last claim had no (more) room for: some of their deliveries may be due. */
  private leftBehind = new Set<string>();
  /** Where the next claim starts visiting apps (round robin when more are due than one visits). */
  private startAfterApp: string | undefined;
  private lastWarningAt = 0;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly deliveries: DeliveryClaimRepository,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly slots: SlotAccountant,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly handOff: KeyHandOff,
  ) {}

  onApplicationBootstrap(): void {
    // An ordered key handed on: its next delivery is due now.
    this.handOff.onHandedOn(() => this.kick());
    // From the interval any free slot is worth a claim: another app's due delivery may need it.
    const timer = setInterval(() => {
      if (this.running !== undefined) void this.claimForNewcomers();
      else void this.tick(1);
    }, this.config.schedulerIntervalMs);
    this.registry.addInterval(INTERVAL_NAME, timer);
    this.dispatcher.onSlotsFreed((endpointId) => this.onSlotsFreed(endpointId));
  }

  /**
   * The dispatcher's SlotsFreedListener: an attempt to `endpointId` ended, or (without one)
   * deliveries were handed back or outcomes written. Claims again, without waiting for the
   * interval, when an endpoint it left due has half its room free, or when a backlog waits and
   * `minClaim` slots are free.
   */
  private onSlotsFreed(endpointId: string | undefined): void {
    if (this.running !== undefined || this.stopped) return;
    if (endpointId !== undefined && this.leftBehind.has(endpointId)) {
      const room = this.dispatcher.roomFor(endpointId);
      if (room * 2 >= this.slots.allowanceFor(endpointId)) void this.tick();
    } else if (this.backlog && this.dispatcher.freeSlots >= this.minClaim) {
      void this.tick();
    }
  }

  /** Fewer free slots than this wait for more: a claim costs a few round trips whatever its size. */
  private get minClaim(): number {
    return Math.max(1, Math.min(MAX_CLAIM_BATCH, Math.floor(this.config.deliveryConcurrency / 4)));
  }

  /**
   * Claims no more; resolves once the claims under way have handed on what they claimed. At
   * shutdown the gate, closed by then, gives that back due now: were the connection closed first,
   * those deliveries would wait out a lease their notifier no longer serves.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', INTERVAL_NAME))
      this.registry.deleteInterval(INTERVAL_NAME);
    await Promise.all([this.running, this.newcomersRunning]);
  }

  /** Claims now, not at the next interval: deliveries were just left due (intake had no room). */
  kick(): void {
    this.backlog = true;
    this.kicked = true;
    void this.tick(1);
  }

  /**
   * Claims until nothing is due or the dispatcher is full; the first claim is made with as few
   * as `firstMinClaim` free slots, the next ones with a quarter of them. Public for tests.
   */
  async tick(firstMinClaim = this.minClaim): Promise<void> {
    if (this.running !== undefined || this.stopped) return;
    this.running = this.underWay(() => this.claimWhileDue(firstMinClaim)).finally(
      () => (this.running = undefined),
    );
    await this.running;
  }

  private async claimWhileDue(firstMinClaim: number): Promise<void> {
    for (let minClaim = firstMinClaim; ; minClaim = this.kicked ? 1 : this.minClaim) {
      if (this.stopped) return;
      const limit = Math.min(this.dispatcher.freeSlots, MAX_CLAIM_BATCH);
      if (limit < minClaim) {
        // Resumed by onSlotsFreed (or the next interval) once there is room.
        this.backlog = true;
        return;
      }
      // A kick from now on may have made due what this claim does not see: it claims again.
      this.kicked = false;
      const { claimed, more } = await this.claim(limit);
      this.backlog = more || this.kicked;
      // All it read was for endpoints or apps without room: wait for slots or the interval.
      if (this.kicked) continue;
      if (!more || claimed === 0) return;
    }
  }

  /**
   * While a large claim is under way (under load a claim of hundreds takes a while), apps holding
   * almost nothing need not wait for it: a small claim of their due deliveries runs beside it.
   */
  private async claimForNewcomers(): Promise<void> {
    if (this.newcomersRunning !== undefined || this.stopped) return;
    const limit = Math.min(this.dispatcher.freeSlots, this.slots.reserve);
    if (limit === 0) return;
    this.newcomersRunning = this.underWay(() => this.claim(limit, true)).finally(
      () => (this.newcomersRunning = undefined),
    );
    await this.newcomersRunning;
  }

  /**
   * `claim`, started a microtask later: the caller marks it under way before any of it runs (a
   * slot it frees must not start a second one). Its failure is logged, never thrown.
   */
  private underWay(claim: () => Promise<unknown>): Promise<void> {
    return Promise.resolve()
      .then(claim)
      .then(
        () => undefined,
        (error: unknown) =>
          this.warnThrottled(`claiming due deliveries failed (will retry): ${String(error)}`),
      );
  }

  /**
   * One claim of up to `limit` deliveries, dispatched; says whether more may be due. With
   * `newcomersOnly`, only of apps holding almost nothing, and who waits is only added to.
   */
  private async claim(
    limit: number,
    newcomersOnly = false,
  ): Promise<{ claimed: number; more: boolean }> {
    const now = this.clock.now();
    const claimToken = randomUUID();
    const stats = { candidates: 0, apps: [] as string[], appsWithMore: [] as string[] };
    const excluded = this.dispatcher.unavailableEndpoints();
    const excludedApps = newcomersOnly
      ? [...new Set([...this.slots.appsWithoutRoom(), ...this.slots.appsHoldingMore()])]
      : this.slots.appsWithoutRoom();
    const picked: DeliveryEntity[] = [];
    /** Endpoints and apps of the candidates not picked. */
    const refused = new Set<string>();
    const leftApps = new Set<string>();
    let claimed: DeliveryEntity[] = [];
    let lookedUp: Promise<Preloaded> | undefined;
    try {
      claimed = await this.deliveries.claimDue({
        now,
        limit,
        claimToken,
        leaseUntil: new Date(now.getTime() + this.config.leaseMs),
        // An endpoint without room here (what it may hold is held, an open circuit, a spent rate
        // limit) or an app at its share keeps its deliveries due, for later or another notifier.
        excludeEndpointIds: excluded,
        excludeAppIds: excludedApps,
        roomForApp: (appId) => this.slots.roomForApp(appId),
        startAfterApp: this.startAfterApp,
        oneRead: newcomersOnly,
        // Each one picked holds a slot from now on.
        pick: (candidates) => {
          for (const candidate of candidates) {
            if (
              picked.length < limit &&
              this.dispatcher.tryTake(candidate.appId, candidate.endpointId)
            ) {
              picked.push(candidate);
            } else {
              refused.add(candidate.endpointId);
              leftApps.add(candidate.appId);
            }
          }
          // Read beside the claim's write: the claimed ones are among the picked.
          lookedUp = this.dispatcher.lookUp(picked);
          lookedUp.catch(() => undefined);
          return picked;
        },
        stats,
      });
    } finally {
      // Picked, but claimed by another notifier first (or the claim failed): not ours.
      const ours = new Set(claimed.map((delivery) => delivery._id));
      for (const delivery of picked) {
        if (!ours.has(delivery._id)) this.dispatcher.giveBack(delivery.appId, delivery.endpointId);
      }
    }
    if (newcomersOnly) {
      for (const appId of [...stats.appsWithMore, ...leftApps]) this.slots.addWaiting(appId);
    } else {
      this.startAfterApp = stats.apps.length >= MAX_APPS_PER_CLAIM ? stats.apps.at(-1) : undefined;
      this.slots.setWaiting(waitingApps(stats, excludedApps, leftApps, this.slots.waitingApps()));
      this.leftBehind = new Set([...excluded, ...refused]);
    }
    await this.dispatcher.dispatch(claimed, claimToken, { preloaded: lookedUp });
    return { claimed: claimed.length, more: stats.appsWithMore.length > 0 };
  }

  private warnThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt < 10_000) return;
    this.lastWarningAt = now;
    this.logger.warn(message);
  }
}
