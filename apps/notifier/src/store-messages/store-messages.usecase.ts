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
import type {
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
  ) {}

  async execute(command: StoreMessagesCommand): Promise<StoreMessagesResult> {
    const now = this.clock.now();
    const claimToken = randomUUID();
    const appIds = await this.existingApps(command.messages.map((message) => message.appId));
    const endpointsByApp = groupBy(await this.endpoints.findByApps([...appIds]), (e) => e.appId);

    const results: StoreResult[] = [];
    const docs: MessageEntity[] = [];
    for (const message of command.messages) {
      if (!appIds.has(message.appId)) {
        results.push({ stored: false, reason: `unknown app ${message.appId} (header x-app-id)` });
        continue;
      }
      const doc = toMessage(message, endpointsByApp.get(message.appId) ?? [], now);
      docs.push(doc);
      results.push({ stored: true, messageId: doc._id });
    }

    const duplicateIds = await this.messages.insertMany(docs);
    const replayed = await this.replayedMessages(docs, duplicateIds, results);
    const fresh = docs.filter((doc) => !duplicateIds.has(doc._id));

    const endpointsById = new Map(
      [...endpointsByApp.values()].flat().map((endpoint) => [endpoint._id, endpoint]),
    );
    const targets = [...fresh, ...replayed].flatMap((message) =>
      message.targetEndpointIds.flatMap((endpointId) => {
        const endpoint = endpointsById.get(endpointId);
        return endpoint === undefined || endpoint.appId !== message.appId
          ? []
          : [{ message, endpoint }];
      }),
    );
    // Only fresh deliveries are claimed: a replayed one may be in another worker's hands.
    const reserved = command.slots.reserve(
      targets.filter(({ message }) => !duplicateIds.has(message._id)).length,
    );
    let capacity = reserved;
    // Beyond an endpoint's room (or while its circuit is open) a delivery is stored unclaimed,
    // due now: the scheduler takes it when there is room, here or in another notifier.
    const room = new Map<string, number>();
    const roomFor = (endpoint: EndpointEntity) =>
      room.get(endpoint._id) ??
      (endpoint.circuitOpenUntil !== undefined
        ? 0
        : (command.slots.roomFor?.(endpoint._id, endpoint.timeoutMs) ?? Number.POSITIVE_INFINITY));
    const leaseUntil = new Date(now.getTime() + this.config.leaseMs);
    const deliveries = targets.map(({ message, endpoint }) => {
      const left = roomFor(endpoint);
      const claim = capacity > 0 && left > 0 && !duplicateIds.has(message._id);
      if (claim) {
        capacity -= 1;
        room.set(endpoint._id, left - 1);
      }
      return newDelivery(message, endpoint, now, claim ? { claimToken, leaseUntil } : undefined);
    });
    let notWritten: Set<string>;
    try {
      notWritten = await this.deliveries.insertMany(deliveries);
    } catch (error) {
      command.slots.release(reserved);
      throw error;
    }
    // One that was not written (its message and endpoint already have one) is not ours.
    const claimed = deliveries.filter((d) => d.claimToken === claimToken && !notWritten.has(d._id));
    return {
      results,
      claimed,
      claimToken,
      reserved,
      unclaimed: deliveries.length - notWritten.size - claimed.length,
      endpoints: endpointsById,
      messages: new Map(fresh.map((message) => [message._id, message])),
    };
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
        : (message.assignedId ?? newId('msg')),
    appId: message.appId,
    eventType: message.eventType,
    payload: message.payload,
    ...(message.idempotencyKey === undefined ? {} : { idempotencyKey: message.idempotencyKey }),
    targetEndpointIds: targets.map((endpoint) => endpoint._id),
    status: targets.length > 0 ? 'pending' : 'no_endpoints',
    createdAt: now,
  };
}

function newDelivery(
  message: MessageEntity,
  endpoint: EndpointEntity,
  now: Date,
  claim: { claimToken: string; leaseUntil: Date } | undefined,
): DeliveryEntity {
  return {
    _id: newId('dlv'),
    appId: message.appId,
    messageId: message._id,
    endpointId: endpoint._id,
    channel: endpoint.channel,
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: claim?.leaseUntil ?? now,
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
