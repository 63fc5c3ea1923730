import { randomUUID } from 'node:crypto';
import { groupBy } from '@app/common';
import type { MessageStatus } from '@app/contracts';
import type { FilterQuery, Model } from 'mongoose';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import { confirmHeld, insertOptions } from '../shared/unconfirmed-writes';
import { ofTheirApps, type AppScoped, type AppScopedId, type PageRequest } from '../shared/tenant';
import type { MessageEntity } from './message.entity';
import { messageStatusOf } from './status-of-deliveries';

/** GET /v1/messages filters; the window is [since, until) on createdAt. */
export interface MessageFilters {
  eventType?: string;
  status?: MessageStatus;
  endpointId?: string;
  since?: Date;
  until?: Date;
}

/** Attempts of one refresh at writing a status that later refreshes keep overtaking. */
const REFRESH_ROUNDS = 3;

/** What a status refresh reads of a message: its status and fence (refreshStatusFenced). */
type FenceRead = Pick<MessageEntity, '_id' | 'status' | 'statusRefresh'>;
const FENCE_FIELDS = { _id: 1, status: 1, statusRefresh: 1 };

export class MessageRepository {
  constructor(
    private readonly model: Model<MessageEntity>,
    private readonly deliveries: Model<DeliveryEntity>,
  ) {}

  /**
   * Returns the ids that were already stored (a replayed or duplicate message). `unconfirmed`:
   * written with UNCONFIRMED, to be confirmed with confirmHeld.
   */
  async insertMany(
    messages: MessageEntity[],
    { unconfirmed = false }: { unconfirmed?: boolean } = {},
  ): Promise<Set<string>> {
    const duplicates = await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, insertOptions(unconfirmed)),
      messages,
    );
    return new Set([...duplicates].map((index) => messages[index]!._id));
  }

  /**
   * Whether a majority holds all these messages (written unconfirmed); throws after `timeoutMs`
   * without an answer: see confirmHeld.
   */
  confirmHeld(ids: readonly string[], timeoutMs: number): Promise<boolean> {
    return confirmHeld(this.model, ids, timeoutMs);
  }

  findById(appId: string, id: string): Promise<MessageEntity | null> {
    return this.model.findOne({ _id: id, appId }).lean<MessageEntity>().exec();
  }

  findManyOfApp(appId: string, ids: readonly string[]): Promise<MessageEntity[]> {
    return this.model
      .find({ appId, _id: { $in: ids } })
      .lean<MessageEntity[]>()
      .exec();
  }

  /**
   * An app's messages newest first, walked with a (createdAt, _id) cursor. A message's createdAt
   * never changes and a walk only moves down, so it returns every message that existed when its
   * first page was read exactly once, whatever order notifiers commit in: one stored late with an
   * earlier createdAt sorts either above the walk (not met) or below it (met once).
   */
  async list(
    appId: string,
    filters: MessageFilters,
    page: PageRequest,
  ): Promise<{ items: MessageEntity[]; nextCursor: string | null }> {
    const filter: AppScoped<MessageEntity> = { appId };
    if (filters.eventType !== undefined) filter.eventType = filters.eventType;
    if (filters.status !== undefined) filter.status = filters.status;
    if (filters.endpointId !== undefined) filter.targetEndpointIds = filters.endpointId;
    if (filters.since !== undefined || filters.until !== undefined) {
      filter.createdAt = {
        ...(filters.since === undefined ? {} : { $gte: filters.since }),
        ...(filters.until === undefined ? {} : { $lt: filters.until }),
      };
    }
    const after =
      page.cursor === undefined ? {} : afterPosition('createdAt', decodeCursor(page.cursor), -1);
    const items = await this.model
      .find({ ...filter, ...after })
      .sort({ createdAt: -1, _id: -1 })
      .limit(page.limit + 1)
      .lean<MessageEntity[]>()
      .exec();
    return paginate(items, page.limit, (message) => message.createdAt);
  }

  /**
   * Messages by id, each only if it belongs to the app given with it (a delivery's appId and
   * messageId; a stored duplicate's appId and _id).
   */
  findByIds(refs: readonly AppScopedId[]): Promise<MessageEntity[]> {
    if (refs.length === 0) return Promise.resolve([]);
    return this.model.find(ofTheirApps(refs)).lean<MessageEntity[]>().exec();
  }

  /**
   * Gives messages just stored the targets (and the status that follows) of the endpoints as they
   * were when they were stored: intake planned them from endpoints it held, which had changed.
   */
  async retarget(
    appId: string,
    changes: readonly Pick<MessageEntity, '_id' | 'targetEndpointIds' | 'status'>[],
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.model.bulkWrite(
      changes.map((change) => ({
        updateOne: {
          filter: { _id: change._id, appId },
          update: { $set: { targetEndpointIds: change.targetEndpointIds, status: change.status } },
        },
      })),
      { ordered: false },
    );
  }

  /**
   * Adds fallback endpoints to their messages' targets, after their deliveries exist, so
   * `GET /v1/messages?endpointId=` finds what a fallback received. A replayed intake then finds
   * those deliveries already there.
   */
  async addTargets(targets: readonly { messageId: string; endpointId: string }[]): Promise<void> {
    if (targets.length === 0) return;
    await this.model.bulkWrite(
      targets.map((target) => ({
        updateOne: {
          filter: { _id: target.messageId },
          update: { $addToSet: { targetEndpointIds: target.endpointId } },
        },
      })),
      { ordered: false },
    );
  }

  /**
   * After some of their deliveries ended: recomputes these messages' statuses. Returns the
   * messages whose refresh kept losing to others (see refreshStatusFenced), for the caller to
   * keep owing (StatusRefreshRepository) and the repair to try again.
   */
  refreshStatusAfterOutcomes(messageIds: readonly string[]): Promise<Set<string>> {
    return this.refreshStatusFenced([...new Set(messageIds)]);
  }

  /** Recomputes each of the app's messages' status from its deliveries, after some of them changed. */
  async refreshStatus(appId: string, messageIds: readonly string[]): Promise<void> {
    await this.refreshStatusFenced(messageIds, appId);
  }

  /**
   * A status is derived from a read of the deliveries and written afterwards, so two refreshes
   * of one message (two notifiers ending its two deliveries at once) could write in the wrong
   * order: the one that read first, `pending`, last. Hence a fence: a message carries the token
   * of the refresh that wrote its status last (`statusRefresh`). A refresh reads the messages,
   * then their deliveries, and writes each status with a token of its own only where the token
   * it read is still there (one updateMany per status and token read: a handful). So a status
   * that lands was derived from a read made after the write before it, and the status written
   * last saw every delivery write whose refresh started before it. A refresh that finds another
   * token lost its message to one that wrote in between, and retries it (up to REFRESH_ROUNDS
   * times, so two refreshes taking turns cannot loop), as the other may have read before the
   * delivery write this one follows. Returns the messages it never wrote.
   *
   * Nothing is written for a message stored `pending` whose deliveries still have one pending or
   * held (nine of the ten ends of a fan-out to ten endpoints): whoever ends that delivery
   * refreshes the message after its own write, and that refresh sees this one's writes too. A
   * message without any delivery keeps its status. With `appId`, only that app's messages.
   *
   * The deliveries are read once a round, after the messages: a read beside the messages' read
   * could be older than the fence it read, and write a status the fence was meant to stop.
   */
  private async refreshStatusFenced(
    messageIds: readonly string[],
    appId?: string,
  ): Promise<Set<string>> {
    const ofApp = appId === undefined ? {} : { appId };
    if (messageIds.length === 0) return new Set();
    let stored = await this.fences({ _id: { $in: messageIds }, ...ofApp });
    for (let round = 0; stored.length > 0; round += 1) {
      if (round === REFRESH_ROUNDS) return new Set(stored.map((message) => message._id));
      const statuses = await this.statusesFromDeliveries(
        stored.map((message) => message._id),
        ofApp,
      );
      const changes = stored.flatMap((message) => {
        const status = statuses.get(message._id);
        if (status === undefined || (status === 'pending' && message.status === 'pending'))
          return [];
        return [{ _id: message._id, status, fence: message.statusRefresh ?? null }];
      });
      if (changes.length === 0) return new Set();
      const token = randomUUID();
      const groups = groupBy(changes, (change) => `${change.status} ${change.fence ?? ''}`);
      const { matchedCount } = await this.model.bulkWrite(
        [...groups.values()].map((group) => ({
          updateMany: {
            filter: {
              _id: { $in: group.map((change) => change._id) },
              ...ofApp,
              statusRefresh: group[0]!.fence,
            },
            update: { $set: { status: group[0]!.status, statusRefresh: token } },
          },
        })),
        { ordered: false },
      );
      if (matchedCount === changes.length) return new Set();
      stored = await this.fences({
        _id: { $in: changes.map((change) => change._id) },
        ...ofApp,
        statusRefresh: { $ne: token },
      });
    }
    return new Set();
  }

  /** The messages matching `filter`, with the status and the fence a refresh reads first. */
  private fences(filter: FilterQuery<MessageEntity>): Promise<FenceRead[]> {
    return this.model.find(filter, FENCE_FIELDS).lean<FenceRead[]>().exec();
  }

  /** The status each of these messages' deliveries give it, for those that have any. */
  private async statusesFromDeliveries(
    messageIds: readonly string[],
    ofApp: { appId?: string },
  ): Promise<Map<string, MessageStatus>> {
    const deliveries = await this.deliveries
      .find({ messageId: { $in: messageIds }, ...ofApp }, { _id: 0, messageId: 1, status: 1 })
      .lean<Pick<DeliveryEntity, 'messageId' | 'status'>[]>()
      .exec();
    const byMessage = groupBy(deliveries, (delivery) => delivery.messageId);
    return new Map(
      [...byMessage].map(([messageId, group]) => [
        messageId,
        messageStatusOf(group.map((delivery) => delivery.status)),
      ]),
    );
  }
}
