import type { Model, mongo } from 'mongoose';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import { handOnKeys } from './hand-on-keys';
import {
  orderingKeyId,
  type OrderingKeyBlock,
  type OrderingKeyEntity,
} from './ordering-key.entity';

/** An ordered endpoint's key. */
export interface KeyRef {
  appId: string;
  endpointId: string;
  key: string;
}

/** An ordered delivery that ended, and whether its failure holds the key (orderedBlockOnFailure). */
export interface EndedOrderedDelivery {
  deliveryId: string;
  messageId: string;
  endpointId: string;
  key: string;
  sequence: number;
  /** Set when the key is to wait for an operator: why it failed. */
  blockWith?: string;
}

/** What a skip found: the key as it is now, or why there was nothing to skip. */
export type SkipResult =
  | { skipped: true; key: OrderingKeyEntity }
  | { skipped: false; reason: 'not_found' | 'not_blocked'; key?: OrderingKeyEntity };

/**
 * Ordered delivery's storage (ADR 0013). Each (endpoint, key) has a counter that numbers its
 * messages, and names the one delivery whose turn it is (`active`): the others wait `held`, which
 * no claim reads. Whoever changes what may go next - intake having stored held deliveries, an
 * outcome having ended the active one, an operator skipping a blocked key - calls `handOn`, which
 * makes the lowest held delivery active and pending, fenced on the key's version: of two callers
 * racing, one hands on and the other finds the key taken, so a key never has two deliveries in
 * flight. Every write comes before its check, so n+1 stored while n ends is handed on by one of
 * the two; a process that dies between them leaves a flag (`checkSince`, `orderingHandOffStale`)
 * for the ordering repair.
 */
export class OrderingKeyRepository {
  constructor(
    private readonly model: Model<OrderingKeyEntity>,
    private readonly deliveries: Model<DeliveryEntity>,
  ) {}

  private get collection(): mongo.Collection<OrderingKeyEntity> {
    return this.model.collection as unknown as mongo.Collection<OrderingKeyEntity>;
  }

  private get deliveryCollection(): mongo.Collection<DeliveryEntity> {
    return this.deliveries.collection as unknown as mongo.Collection<DeliveryEntity>;
  }

  /**
   * Gives `count` more messages of the key their sequences: returns the first of them (the others
   * follow it). Creates the key at its first message, and marks it for the repair until handed on.
   */
  async number(ref: KeyRef, count: number, now: Date): Promise<number> {
    const updated = await this.collection.findOneAndUpdate(
      { _id: orderingKeyId(ref.endpointId, ref.key) },
      {
        $inc: { lastSequence: count, version: 1 },
        $set: { checkSince: now, updatedAt: now },
        $setOnInsert: {
          appId: ref.appId,
          endpointId: ref.endpointId,
          key: ref.key,
          active: null,
          blocked: null,
          createdAt: now,
        },
      },
      { upsert: true, returnDocument: 'after' },
    );
    return updated!.lastSequence - count + 1;
  }

  /**
   * If no delivery of the key is active and it is not blocked, makes its lowest held delivery
   * active and due now. Returns that delivery's id, or undefined when nothing was handed on.
   */
  async handOn(endpointId: string, key: string, now: Date): Promise<string | undefined> {
    const [handedOn] = await this.handOnKeys([{ endpointId, key }], now);
    return handedOn;
  }

  /** `handOn` for many keys at once (hand-on-keys.ts); returns the deliveries handed on to. */
  handOnKeys(refs: readonly Pick<KeyRef, 'endpointId' | 'key'>[], now: Date): Promise<string[]> {
    return handOnKeys(this.collection, this.deliveryCollection, refs, now);
  }

  /**
   * The ordered deliveries ended: each one's key is handed on to its next delivery, or blocked on
   * it (`blockWith`). Only those whose end was written count (flagged `orderingHandOffStale` by
   * DeliveryRepository.recordOutcomes: an outcome fenced out because another claim holds the
   * delivery moves nothing), and only the key's active (or blocking) delivery moves it: one that
   * ran out of turn (an operator's redelivery) changes nothing. Then their flags are cleared.
   * Returns the deliveries handed on to.
   */
  async ended(candidates: readonly EndedOrderedDelivery[], now: Date): Promise<string[]> {
    if (candidates.length === 0) return [];
    const ids = candidates.map((delivery) => delivery.deliveryId);
    const flagged = await this.deliveryCollection
      .find({ _id: { $in: ids }, orderingHandOffStale: true }, { projection: { _id: 1 } })
      .toArray();
    const written = new Set(flagged.map((delivery) => delivery._id));
    const ended = candidates.filter((delivery) => written.has(delivery.deliveryId));
    if (ended.length === 0) return [];
    await this.collection.bulkWrite(
      ended.map((delivery) => ({
        updateOne: {
          filter: {
            _id: orderingKeyId(delivery.endpointId, delivery.key),
            $or: [{ active: delivery.deliveryId }, { 'blocked.deliveryId': delivery.deliveryId }],
          },
          update: {
            $set: { active: null, blocked: blockOf(delivery, now), updatedAt: now },
            $inc: { version: 1 },
          },
        },
      })),
      { ordered: false },
    );
    // A key another delivery holds (this one ran out of turn) is busy: handing it on does nothing.
    const handedOn = await this.handOnKeys(
      ended.filter((delivery) => delivery.blockWith === undefined),
      now,
    );
    await this.deliveryCollection.updateMany(
      { _id: { $in: ended.map((delivery) => delivery.deliveryId) }, orderingHandOffStale: true },
      { $unset: { orderingHandOffStale: '' } },
    );
    return handedOn;
  }

  /** Unblocks a blocked key and hands it on to its next delivery. */
  async skip(ref: KeyRef, now: Date): Promise<SkipResult> {
    const _id = orderingKeyId(ref.endpointId, ref.key);
    const unblocked = await this.collection.updateOne(
      { _id, appId: ref.appId, 'blocked.deliveryId': { $type: 'string' } },
      { $set: { blocked: null, updatedAt: now }, $inc: { version: 1 } },
    );
    if (unblocked.modifiedCount === 1) await this.handOn(ref.endpointId, ref.key, now);
    const key = await this.collection.findOne({ _id, appId: ref.appId });
    if (key === null) return { skipped: false, reason: 'not_found' };
    return unblocked.modifiedCount === 1
      ? { skipped: true, key }
      : { skipped: false, reason: 'not_blocked', key };
  }

  /** Unblocks every blocked key of the endpoint (it no longer blocks on failure). */
  async unblockEndpoint(appId: string, endpointId: string, now: Date): Promise<void> {
    const blocked = await this.collection
      .find(
        { endpointId, appId, 'blocked.deliveryId': { $type: 'string' } },
        { projection: { key: 1 } },
      )
      .toArray();
    for (const { key } of blocked) await this.skip({ appId, endpointId, key }, now);
  }

  /** An endpoint's keys in the order they were first used (only the blocked ones: `blocked`). */
  async list(
    appId: string,
    endpointId: string,
    filters: { blocked?: boolean },
    page: PageRequest,
  ): Promise<{ items: OrderingKeyEntity[]; nextCursor: string | null }> {
    const after =
      page.cursor === undefined ? {} : afterPosition('createdAt', decodeCursor(page.cursor), 1);
    const items = await this.model
      .find({
        appId,
        endpointId,
        ...(filters.blocked === true ? { 'blocked.deliveryId': { $type: 'string' } } : {}),
        ...after,
      })
      .sort({ createdAt: 1, _id: 1 })
      .limit(page.limit + 1)
      .lean<OrderingKeyEntity[]>()
      .exec();
    return paginate(items, page.limit, (key) => key.createdAt);
  }

  /**
   * The endpoint is no longer ordered (or is gone): its held deliveries are due now, and its keys
   * are forgotten (ordering it again numbers from 1).
   */
  async forgetEndpoint(appId: string, endpointId: string, now: Date): Promise<void> {
    await this.deliveryCollection.updateMany(
      { appId, endpointId, status: 'held' },
      { $set: { status: 'pending', nextAttemptAt: now, updatedAt: now } },
    );
    await this.collection.deleteMany({ appId, endpointId });
  }

  /** Keys given held deliveries, or taken, before `before` and not handed on since (the repair). */
  findUnchecked(before: Date, limit: number): Promise<Pick<KeyRef, 'endpointId' | 'key'>[]> {
    return this.collection
      .find(
        { checkSince: { $lt: before } },
        { projection: { _id: 0, endpointId: 1, key: 1 }, sort: { checkSince: 1 }, limit },
      )
      .toArray();
  }

  /** Ordered deliveries that ended before `endedBefore` and whose key was not handed on. */
  findStaleHandOffs(endedBefore: Date, limit: number): Promise<DeliveryEntity[]> {
    return this.deliveryCollection
      .find(
        { orderingHandOffStale: true, updatedAt: { $lt: endedBefore } },
        { sort: { updatedAt: 1 }, limit },
      )
      .toArray();
  }
}

/** The block an ended delivery puts on its key, if it failed and its endpoint blocks on failure. */
function blockOf(delivery: EndedOrderedDelivery, now: Date): OrderingKeyBlock | null {
  return delivery.blockWith === undefined
    ? null
    : {
        deliveryId: delivery.deliveryId,
        messageId: delivery.messageId,
        sequence: delivery.sequence,
        reason: delivery.blockWith,
        since: now,
      };
}
