import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock, idempotentMessageId, newId } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { matchesEventType } from '@app/contracts';
import {
  AppRepository,
  DeliveryRepository,
  EndpointRepository,
  MessageRepository,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';
import { IntakePacer } from '../isolation/intake-pacer';
import type {
  DeliverySlots,
  IncomingMessage,
  StoreMessagesCommand,
  StoreMessagesResult,
  StoreResult,
} from './store-messages.command';

/**
 * Stores a batch of incoming messages and their deliveries in a few bulk writes. Safe to run
 * twice for the same input (a crash before the broker ack replays it): the message id is fixed
 * by the producer or the idempotency key, and a message already stored gets its missing
 * deliveries recreated from the targets it was stored with.
 */
@Injectable()
export class StoreMessagesUseCase {
  /** Apps are never deleted, so a positive answer can be kept. */
  private readonly knownApps = new Set<string>();

  constructor(
    private readonly apps: AppRepository,
    private readonly endpoints: EndpointRepository,
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly pacer: IntakePacer,
  ) {}

  async execute(command: StoreMessagesCommand): Promise<StoreMessagesResult> {
    const now = this.clock.now();
    const claimToken = randomUUID();
    const appIds = await this.existingApps(command.messages.map((message) => message.appId));
    const endpointsByApp = groupBy(await this.endpoints.findByApps([...appIds]), (e) => e.appId);
    const endpointsById = new Map(
      [...endpointsByApp.values()].flat().map((endpoint) => [endpoint._id, endpoint]),
    );

    const results: StoreResult[] = [];
    const docs: MessageEntity[] = [];
    const minted = new Set<string>();
    for (const message of command.messages) {
      if (!appIds.has(message.appId)) {
        results.push({ stored: false, reason: `unknown app ${message.appId} (header x-app-id)` });
        continue;
      }
      const doc = toMessage(message, endpointsByApp.get(message.appId) ?? [], now);
      if (doc._id === message.mintedId) minted.add(doc._id);
      docs.push(doc);
      results.push({ stored: true, messageId: doc._id });
    }

    // Messages over their app's messagesPerSecond: stored now, first attempts due later.
    const deferred = await this.pacer.deferrals(docs, now);
    const fanOut = new FanOut(
      command.slots,
      endpointsById,
      claimToken,
      now,
      this.config.leaseMs,
      deferred,
    );
    try {
      // A message whose id was minted at intake cannot be stored already, so its claimed
      // deliveries are written beside it: one round trip less before its first attempt. Its
      // unclaimed ones wait for the message, since any notifier may claim them at once.
      const early = fanOut.plan(docs.filter((doc) => minted.has(doc._id)));
      const [duplicateIds, earlyNotWritten] = await settleBoth(
        this.messages.insertMany(docs),
        this.deliveries.insertMany(early.filter((d) => d.claimToken === claimToken)),
      );
      const replayed = await this.replayedMessages(docs, duplicateIds, results);
      const fresh = docs.filter((doc) => !duplicateIds.has(doc._id));
      // Only fresh deliveries are claimed: a replayed one may be in another worker's hands.
      const late = [
        ...early.filter((d) => d.claimToken !== claimToken),
        ...fanOut.plan(fresh.filter((doc) => !minted.has(doc._id))),
        ...fanOut.plan(replayed, { claim: false }),
      ];
      const notWritten = new Set([...earlyNotWritten, ...(await this.deliveries.insertMany(late))]);
      // One that was not written (its message and endpoint already have one) is not ours.
      const written = [...early, ...late].filter((d) => !notWritten.has(d._id));
      const claimed = written.filter((d) => d.claimToken === claimToken);
      // A slot taken for a delivery that was not written goes back.
      fanOut.giveBackAllBut(claimed);
      return {
        results,
        claimed,
        claimToken,
        unclaimed: written.filter((d) => d.claimToken !== claimToken && !deferred.has(d.messageId))
          .length,
        endpoints: endpointsById,
        messages: new Map([...fresh, ...replayed].map((message) => [message._id, message])),
      };
    } catch (error) {
      fanOut.giveBackAllBut([]);
      throw error;
    }
  }

  private async existingApps(ids: readonly string[]): Promise<Set<string>> {
    const unknown = [...new Set(ids)].filter((id) => !this.knownApps.has(id));
    if (unknown.length > 0) {
      for (const id of await this.apps.findExistingIds(unknown)) this.knownApps.add(id);
    }
    return new Set(ids.filter((id) => this.knownApps.has(id)));
  }

  /**
   * Messages whose id was already stored. The same app's: a replay or a repeated idempotency key,
   * answered with the stored message. Another app's id (a forged x-message-id): refused.
   */
  private async replayedMessages(
    docs: readonly MessageEntity[],
    duplicateIds: ReadonlySet<string>,
    results: StoreResult[],
  ): Promise<MessageEntity[]> {
    if (duplicateIds.size === 0) return [];
    const stored = new Map(
      (await this.messages.findByIds([...duplicateIds])).map((m) => [m._id, m]),
    );
    const sameApp: MessageEntity[] = [];
    for (const doc of docs.filter((candidate) => duplicateIds.has(candidate._id))) {
      const existing = stored.get(doc._id);
      if (existing?.appId === doc.appId) {
        sameApp.push(existing);
        continue;
      }
      const index = results.findIndex((result) => result.stored && result.messageId === doc._id);
      results[index] = { stored: false, reason: `message id ${doc._id} belongs to another app` };
    }
    return sameApp;
  }
}

/**
 * Turns stored messages into their deliveries, claiming for this worker those it can take a slot
 * for: the app's fair share and the endpoint's limit here (SlotAccountant). Beyond that (or while
 * an endpoint's circuit is open) a delivery is stored unclaimed, due now: the scheduler takes it
 * when there is room, here or in another notifier. A message deferred by its app's pace gets its
 * deliveries unclaimed, due then.
 */
class FanOut {
  /** Deliveries planned claimed, each holding a slot until handed on or given back. */
  private readonly taken: DeliveryEntity[] = [];
  private readonly lease: { claimToken: string; leaseUntil: Date };

  constructor(
    private readonly slots: DeliverySlots,
    private readonly endpoints: ReadonlyMap<string, EndpointEntity>,
    claimToken: string,
    private readonly now: Date,
    leaseMs: number,
    private readonly deferred: ReadonlyMap<string, Date>,
  ) {
    this.lease = { claimToken, leaseUntil: new Date(now.getTime() + leaseMs) };
  }

  plan(messages: readonly MessageEntity[], { claim = true } = {}): DeliveryEntity[] {
    return messages.flatMap((message) =>
      message.targetEndpointIds.flatMap((endpointId) => {
        const endpoint = this.endpoints.get(endpointId);
        if (endpoint === undefined || endpoint.appId !== message.appId) return [];
        const dueAt = this.deferred.get(message._id);
        if (dueAt !== undefined)
          return [newDelivery(message, endpoint, this.now, undefined, dueAt)];
        const claimed =
          claim &&
          endpoint.circuitOpenUntil === undefined &&
          this.slots.tryTake(message.appId, endpoint._id, endpoint.timeoutMs);
        const delivery = newDelivery(message, endpoint, this.now, claimed ? this.lease : undefined);
        if (claimed) this.taken.push(delivery);
        return [delivery];
      }),
    );
  }

  /** Gives back the slots of every delivery planned claimed but `kept`. */
  giveBackAllBut(kept: readonly DeliveryEntity[]): void {
    const keep = new Set(kept);
    for (const delivery of this.taken.splice(0)) {
      if (!keep.has(delivery)) this.slots.giveBack(delivery.appId, delivery.endpointId);
    }
  }
}

/** Both writes run to the end before a failure of either is thrown (none is left in flight). */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}

function toMessage(
  message: IncomingMessage,
  endpoints: readonly EndpointEntity[],
  now: Date,
): MessageEntity {
  const requested = message.endpointIds === undefined ? undefined : new Set(message.endpointIds);
  const targets = endpoints.filter(
    (endpoint) =>
      endpoint.enabled &&
      (requested === undefined
        ? matchesEventType(endpoint.eventTypes, message.eventType)
        : requested.has(endpoint._id)),
  );
  return {
    _id:
      message.idempotencyKey !== undefined
        ? idempotentMessageId(message.appId, message.idempotencyKey)
        : (message.assignedId ?? message.mintedId ?? newId('msg')),
    appId: message.appId,
    eventType: message.eventType,
    payload: message.payload,
    ...(message.idempotencyKey === undefined ? {} : { idempotencyKey: message.idempotencyKey }),
    targetEndpointIds: targets.map((endpoint) => endpoint._id),
    status: targets.length > 0 ? 'pending' : 'no_endpoints',
    ...(message.trace === undefined ? {} : { trace: message.trace }),
    createdAt: now,
  };
}

function newDelivery(
  message: MessageEntity,
  endpoint: EndpointEntity,
  now: Date,
  claim: { claimToken: string; leaseUntil: Date } | undefined,
  dueAt: Date = now,
): DeliveryEntity {
  return {
    _id: newId('dlv'),
    appId: message.appId,
    messageId: message._id,
    endpointId: endpoint._id,
    channel: endpoint.channel,
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: claim?.leaseUntil ?? dueAt,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: claim?.claimToken ?? null,
    createdAt: now,
    updatedAt: now,
  };
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
