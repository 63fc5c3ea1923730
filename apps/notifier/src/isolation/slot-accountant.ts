import { Inject, Injectable } from '@nestjs/common';
import { LEASE_MARGIN_MS, NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { MAX_TIMEOUT_MS } from '@app/contracts';
import {
  adaptLimit,
  EndpointStates,
  INITIAL_ENDPOINT_LIMIT,
  type AttemptObservation,
} from './endpoint-limits';

/**
 * The share of DELIVERY_CONCURRENCY kept for apps that hold few slots (ADR 0008): whatever one
 * app does, another app's delivery finds a slot at once.
 */
export const RESERVE_SHARE = 0.1;
/** An app holding fewer slots than this (a quarter of the reserve, at least 1) may use the reserve. */
const NEWCOMER_SHARE = 0.25;
/**
 * About how long a claimed delivery may wait in the notifier for its endpoint, judged by how long
 * the endpoint's attempts take: a fast endpoint gets a few rounds waiting, a slow or hanging one
 * none (ADR 0006).
 */
const MAX_LOCAL_WAIT_MS = 1_000;

/**
 * The one place that counts this notifier's delivery slots (DELIVERY_CONCURRENCY): every claimed
 * delivery holds a slot from the moment it is picked (intake's insert, the scheduler's claim)
 * until its attempt ends or it is handed back. Per app and per endpoint it says how many more may
 * be taken (ADR 0008):
 *
 * - a reserve of RESERVE_SHARE of the slots is used only by apps holding almost none, so an app
 *   that holds no slot finds one even while another app's hanging attempts hold all the rest;
 * - while other apps have due work waiting (`setWaiting`), no app takes more than its fair part
 *   (the slots outside the reserve divided by the apps holding or waiting); when nobody else
 *   waits, one app may use everything but the reserve (work-conserving);
 * - an endpoint may have `limitFor` attempts in flight, adapted AIMD-style between 1 and
 *   ENDPOINT_CONCURRENCY: it starts at INITIAL_ENDPOINT_LIMIT, grows with every answered attempt
 *   (doubling per round until its first slowdown, then one per round), and halves when an attempt
 *   times out or is much slower than usual. Beyond what runs, a few rounds of a fast endpoint may
 *   wait here for it (`allowanceFor`).
 *
 * All of it is this process's soft state: lost at a restart, it starts low again. MongoDB keeps
 * every delivery (claimed ones under a lease).
 */
@Injectable()
export class SlotAccountant {
  private held = 0;
  private readonly apps = new Map<string, number>();
  private readonly endpoints: EndpointStates;
  private waiting = new Set<string>();
  private throttled = false;

  constructor(
    @Inject(NOTIFIER_CONFIG)
    private readonly config: Pick<
      NotifierConfig,
      'deliveryConcurrency' | 'endpointConcurrency' | 'leaseMs'
    >,
  ) {
    this.endpoints = new EndpointStates(this.initialLimit, config.endpointConcurrency);
  }

  /** Slots held for the reserve. */
  get reserve(): number {
    return Math.max(1, Math.floor(this.config.deliveryConcurrency * RESERVE_SHARE));
  }

  /** Slots not held by anyone. */
  get free(): number {
    return Math.max(0, this.config.deliveryConcurrency - this.held);
  }

  /** Slots held, all apps together. */
  get total(): number {
    return this.held;
  }

  heldBy(appId: string): number {
    return this.apps.get(appId) ?? 0;
  }

  heldAt(endpointId: string): number {
    return this.endpoints.get(endpointId)?.held ?? 0;
  }

  /** Endpoints with deliveries held here. */
  heldEndpoints(): string[] {
    return this.endpoints.held();
  }

  runningAt(endpointId: string): number {
    return this.endpoints.get(endpointId)?.running ?? 0;
  }

  /**
   * Apps known to have due work that this notifier has not taken (the last claim's finding, and
   * intake's). Replaces the previous set.
   */
  setWaiting(appIds: Iterable<string>): void {
    this.waiting = new Set(appIds);
  }

  addWaiting(appId: string): void {
    this.waiting.add(appId);
  }

  /** Who waits: apps with due work not taken here. */
  waitingApps(): string[] {
    return [...this.waiting];
  }

  /**
   * While on (outcomes wait to be written), only apps holding almost nothing take slots: memory
   * stays bounded when MongoDB is slow, and other apps still get their first attempts through.
   */
  throttle(on: boolean): void {
    this.throttled = on;
  }

  /** How many more slots this app may take now. */
  roomForApp(appId: string): number {
    const free = this.free;
    if (free === 0) return 0;
    const holding = this.heldBy(appId);
    const newcomer = this.newcomerShare;
    const inReserve = holding < newcomer ? Math.min(free, newcomer - holding) : 0;
    if (this.throttled) return inReserve;
    const others = [...this.waiting].some((id) => id !== appId);
    const cap = others ? this.fairShare(appId) : this.config.deliveryConcurrency;
    const outside = Math.max(0, Math.min(free - this.reserve, cap - holding));
    return Math.max(inReserve, outside);
  }

  /** Apps holding at least the share of the reserve a newcomer may use. */
  appsHoldingMore(): string[] {
    const newcomer = this.newcomerShare;
    return [...this.apps].filter(([, held]) => held >= newcomer).map(([appId]) => appId);
  }

  /** Apps that may take nothing now: a claim leaves their deliveries due. */
  appsWithoutRoom(): string[] {
    return [...this.apps.keys()].filter((appId) => this.roomForApp(appId) === 0);
  }

  /** Attempts the endpoint may have in flight now (AIMD, 1..ENDPOINT_CONCURRENCY). */
  limitFor(endpointId: string): number {
    return Math.floor(this.endpoints.get(endpointId)?.limit ?? this.initialLimit);
  }

  /**
   * Deliveries of one endpoint held here at most: its limit running, plus as many rounds of it
   * waiting as its recent attempts get through in about MAX_LOCAL_WAIT_MS (none until some have
   * ended). Should the endpoint start to hang, its attempts that time out count in its pace
   * (adaptLimit): after one round of them, what waits is no more than about a second of timeouts
   * (nothing once a timeout is a few seconds long), and the rest goes to the gate, which postpones
   * what it cannot admit. So a delivery waits here about one attempt timeout or a second at most;
   * none waits unless the lease leaves room for one hung round and its own attempt.
   */
  allowanceFor(endpointId: string): number {
    const paceMs = this.endpoints.get(endpointId)?.paceMs;
    const hangFits = this.longestAttemptMs >= 2 * this.timeoutFor(endpointId);
    const waitRounds =
      paceMs === undefined || !hangFits ? 0 : Math.floor(MAX_LOCAL_WAIT_MS / Math.max(1, paceMs));
    return this.limitFor(endpointId) * (1 + waitRounds);
  }

  /** How many more deliveries of the endpoint may be held here now. */
  roomForEndpoint(endpointId: string): number {
    return Math.max(0, this.allowanceFor(endpointId) - this.heldAt(endpointId));
  }

  /** How many more attempts to the endpoint may start now. */
  runRoom(endpointId: string): number {
    return Math.max(0, this.limitFor(endpointId) - this.runningAt(endpointId));
  }

  /** The endpoint's attempt timeout (capped by the lease), known from its deliveries. */
  noteTimeout(endpointId: string, endpointTimeoutMs: number): void {
    this.endpoints.state(endpointId).timeoutMs = this.attemptTimeoutMs(endpointTimeoutMs);
  }

  /** An attempt's timeout: the endpoint's, cut so the attempt ends well inside its lease. */
  attemptTimeoutMs(endpointTimeoutMs: number): number {
    return Math.min(endpointTimeoutMs, this.longestAttemptMs);
  }

  /** The endpoint's attempt timeout as last noted; the longest an endpoint may have until then. */
  timeoutFor(endpointId: string): number {
    return this.endpoints.get(endpointId)?.timeoutMs ?? MAX_TIMEOUT_MS;
  }

  /** Whether an attempt to the endpoint started now would end LEASE_MARGIN_MS before the lease. */
  startsInTime(endpointId: string, leaseUntil: Date | null, now: Date): boolean {
    const leftMs = (leaseUntil?.getTime() ?? 0) - now.getTime();
    return leftMs >= this.timeoutFor(endpointId) + LEASE_MARGIN_MS;
  }

  /** The longest an attempt may take: it must end LEASE_MARGIN_MS before its lease ends. */
  private get longestAttemptMs(): number {
    return this.config.leaseMs - LEASE_MARGIN_MS;
  }

  /** Takes one slot for a delivery of this app and endpoint if both have room; says whether. */
  tryTake(appId: string, endpointId: string): boolean {
    if (this.roomForApp(appId) === 0 || this.roomForEndpoint(endpointId) === 0) return false;
    this.take(appId, endpointId);
    return true;
  }

  take(appId: string, endpointId: string): void {
    this.held += 1;
    this.apps.set(appId, this.heldBy(appId) + 1);
    this.endpoints.state(endpointId).held += 1;
  }

  giveBack(appId: string, endpointId: string): void {
    this.held = Math.max(0, this.held - 1);
    const app = this.heldBy(appId) - 1;
    if (app > 0) this.apps.set(appId, app);
    else this.apps.delete(appId);
    const state = this.endpoints.get(endpointId);
    if (state !== undefined) state.held = Math.max(0, state.held - 1);
  }

  /** Attempts about to start (the gate admitted them). */
  startAttempts(endpointId: string, count: number): void {
    if (count > 0) this.endpoints.state(endpointId).running += count;
  }

  /**
   * An attempt ended; with an observation, its duration adjusts the endpoint's limit. Without
   * one it was not made after all (the gate postponed it).
   */
  attemptEnded(endpointId: string, observation?: AttemptObservation): void {
    const state = this.endpoints.state(endpointId);
    state.running = Math.max(0, state.running - 1);
    if (observation !== undefined) adaptLimit(state, observation, this.config.endpointConcurrency);
  }

  private get newcomerShare(): number {
    return Math.max(1, Math.floor(this.reserve * NEWCOMER_SHARE));
  }

  private get initialLimit(): number {
    return Math.min(this.config.endpointConcurrency, INITIAL_ENDPOINT_LIMIT);
  }

  /** The slots outside the reserve over the apps holding slots or waiting, this one included. */
  private fairShare(appId: string): number {
    const active = new Set([...this.apps.keys(), ...this.waiting, appId]);
    const shared = this.config.deliveryConcurrency - this.reserve;
    return Math.max(1, Math.floor(shared / active.size));
  }
}
