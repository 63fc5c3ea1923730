import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, groupBy } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import {
  DeliveryRepository,
  EndpointCircuitRepository,
  RateLimitRepository,
  type DeliveryEntity,
  type EndpointEntity,
} from '@app/dal';
import { deliveryFields } from '../log-fields';
import { BlockedEndpoints } from './blocked-endpoints';
import { ChannelQuota, nextHour } from './channel-quota';
import { circuitOf, rateLimitedDueTimes, spreadFor } from './endpoint-admission';
import { Postponements, type Postponement } from './postponements';
import { SlotAccountant } from './slot-accountant';

/** A delivery over its endpoint's limit is due again this much later (or claimed elsewhere). */
const BUSY_DELAY_MS = 1_000;
/** A probe must end within its attempt timeout; the circuit is held a little longer. */
const PROBE_MARGIN_MS = 5_000;

/**
 * Decides, endpoint by endpoint, which claimed deliveries are attempted now, so that one slow,
 * hanging or failing endpoint never holds up the others (docs/operations.md):
 *
 * 1. circuit breaker: while an endpoint's circuit is open nothing is attempted; once its cool-down
 *    is over exactly one notifier wins the single probe attempt;
 * 2. concurrency: at most the SlotAccountant's limit for the endpoint (adaptive, at most
 *    ENDPOINT_CONCURRENCY) in flight in this notifier;
 * 3. rateLimitPerSecond: counted across every notifier in MongoDB (one round trip per endpoint
 *    and batch, and only for endpoints that have a limit);
 * 4. the app's emailsPerHour / smsPerHour quota (email and SMS endpoints only): beyond it the
 *    sends wait for the next hour.
 *
 * Whatever is not admitted is postponed, not attempted: its claim is given up and it falls due
 * again later with its attempt count unchanged. Nothing waits in memory.
 */
@Injectable()
export class EndpointGate {
  private readonly logger = new Logger(EndpointGate.name);
  private readonly blocked = new BlockedEndpoints();
  private closed = false;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly postponements: Postponements,
    private readonly circuits: EndpointCircuitRepository,
    private readonly rateLimits: RateLimitRepository,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly channelQuota: ChannelQuota,
    private readonly slots: SlotAccountant,
  ) {}

  /** How many more attempts this notifier may start to the endpoint now. */
  roomFor(endpointId: string): number {
    if (this.blocked.isBlocked(endpointId, this.clock.now().getTime())) return 0;
    return this.slots.runRoom(endpointId);
  }

  /** Endpoints blocked here for now (open circuit, rate limit spent). */
  unavailableEndpoints(): string[] {
    return this.blocked.endpointsBlockedAt(this.clock.now().getTime());
  }

  /** Graceful shutdown: from now on every delivery handed to admit() is given back, due now. */
  close(): void {
    this.closed = true;
  }

  /**
   * The deliveries to attempt now, each counted as running (SlotAccountant.startAttempts) until
   * the dispatcher reports its end; the others are postponed. A delivery whose endpoint is gone
   * or disabled is admitted: the AttemptRunner settles it.
   */
  async admit(
    deliveries: readonly DeliveryEntity[],
    endpoints: ReadonlyMap<string, EndpointEntity>,
    claimToken: string,
  ): Promise<DeliveryEntity[]> {
    const now = this.clock.now();
    const postponed: Postponement[] = [];
    if (this.closed) {
      for (const d of deliveries)
        postponed.push({ deliveryId: d._id, dueAt: now, reason: 'shutting_down' });
      await this.postponements.postpone(postponed, claimToken);
      return [];
    }
    const groups = groupBy(deliveries, (delivery) => delivery.endpointId);
    const counted: DeliveryEntity[] = [];
    try {
      const admitted = await Promise.all(
        [...groups].map(async ([endpointId, group]) => {
          const endpoint = endpoints.get(endpointId);
          if (endpoint === undefined || !endpoint.enabled) {
            this.slots.startAttempts(endpointId, group.length);
            counted.push(...group);
            return group;
          }
          const probing = await this.throughCircuit(endpoint, group, now, postponed);
          const running = this.throughConcurrency(endpointId, probing, now, postponed);
          counted.push(...running);
          const paced = await this.throughRateLimit(endpoint, running, now, postponed);
          return this.throughChannelQuota(endpoint, paced, now, postponed);
        }),
      );
      await this.postponements.postpone(postponed, claimToken);
      return admitted.flat();
    } catch (error) {
      // Left claimed: they fall due again when the lease expires.
      for (const delivery of counted) this.slots.attemptEnded(delivery.endpointId);
      throw error;
    }
  }

  private async throughCircuit(
    endpoint: EndpointEntity,
    group: DeliveryEntity[],
    now: Date,
    postponed: Postponement[],
  ): Promise<DeliveryEntity[]> {
    const circuit = circuitOf(endpoint, now);
    switch (circuit.state) {
      case 'closed':
        return group;
      case 'open': {
        this.blocked.block(endpoint._id, circuit.until);
        const spread = spreadFor(circuit.until.getTime() - now.getTime());
        for (const delivery of group) {
          postponed.push({
            deliveryId: delivery._id,
            dueAt: new Date(circuit.until.getTime() + Math.floor(Math.random() * spread)),
            reason: 'circuit_open',
          });
        }
        return [];
      }
      case 'half-open': {
        const hold = new Date(
          now.getTime() + this.slots.attemptTimeoutMs(endpoint.timeoutMs) + PROBE_MARGIN_MS,
        );
        const probe = await this.circuits.acquireProbe(endpoint._id, now, hold);
        // The others look again after a cool-down at most (or once the probe's time is up): by
        // then a successful probe has closed the circuit, and they go.
        const recheck = new Date(
          Math.min(hold.getTime(), now.getTime() + this.config.circuitBreaker.cooldownMs),
        );
        this.blocked.block(endpoint._id, recheck);
        const [first, ...rest] = group;
        const waiting = probe ? rest : group;
        const spread = spreadFor(recheck.getTime() - now.getTime());
        for (const delivery of waiting) {
          postponed.push({
            deliveryId: delivery._id,
            dueAt: new Date(recheck.getTime() + Math.floor(Math.random() * spread)),
            reason: 'circuit_open',
          });
        }
        if (!probe || first === undefined) return [];
        // The endpoint's other due deliveries wait for the probe's verdict too.
        await this.deliveries
          .postponeDueForEndpoint(endpoint._id, recheck, spread)
          .catch((error: unknown) =>
            this.logger.warn(
              { endpointId: endpoint._id },
              `postponing during a probe failed: ${String(error)}`,
            ),
          );
        this.logger.log(
          deliveryFields(first),
          `endpoint ${endpoint._id}: cool-down over, probing with one attempt`,
        );
        return [first];
      }
    }
  }

  /** Counts what it lets through. */
  private throughConcurrency(
    endpointId: string,
    group: DeliveryEntity[],
    now: Date,
    postponed: Postponement[],
  ): DeliveryEntity[] {
    const room = this.slots.runRoom(endpointId);
    const running = group.slice(0, room);
    for (const delivery of group.slice(room)) {
      postponed.push({
        deliveryId: delivery._id,
        dueAt: new Date(now.getTime() + BUSY_DELAY_MS),
        reason: 'endpoint_busy',
      });
    }
    this.slots.startAttempts(endpointId, running.length);
    return running;
  }

  private async throughRateLimit(
    endpoint: EndpointEntity,
    group: DeliveryEntity[],
    now: Date,
    postponed: Postponement[],
  ): Promise<DeliveryEntity[]> {
    const limit = endpoint.rateLimitPerSecond;
    if (limit === undefined || group.length === 0) return group;
    // A failure here is admit()'s: it uncounts the group and leaves it claimed.
    const granted = await this.rateLimits.take(endpoint._id, limit, group.length, now);
    if (granted === group.length) return group;
    const over = group.slice(granted);
    const dueTimes = rateLimitedDueTimes(over.length, limit, now, Math.random);
    over.forEach((delivery, index) => {
      this.slots.attemptEnded(delivery.endpointId);
      postponed.push({ deliveryId: delivery._id, dueAt: dueTimes[index]!, reason: 'rate_limited' });
    });
    this.blocked.block(endpoint._id, new Date((Math.floor(now.getTime() / 1000) + 1) * 1000));
    return group.slice(0, granted);
  }

  /**
   * The app's emailsPerHour / smsPerHour: sends over it are postponed to the next clock hour
   * (spread over its first seconds). The endpoint is not blocked here as for a spent rate limit:
   * a raised quota applies at once, and each delivery over it costs one postponement an hour.
   */
  private async throughChannelQuota(
    endpoint: EndpointEntity,
    group: DeliveryEntity[],
    now: Date,
    postponed: Postponement[],
  ): Promise<DeliveryEntity[]> {
    const granted = await this.channelQuota.take(endpoint, group.length, now);
    if (granted === group.length) return group;
    const hour = nextHour(now);
    const spread = spreadFor(hour.getTime() - now.getTime());
    for (const delivery of group.slice(granted)) {
      this.slots.attemptEnded(delivery.endpointId);
      postponed.push({
        deliveryId: delivery._id,
        dueAt: new Date(hour.getTime() + Math.floor(Math.random() * spread)),
        reason: 'channel_quota',
      });
    }
    return group.slice(0, granted);
  }
}
