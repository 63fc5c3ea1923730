import { randomUUID } from 'node:crypto';
import { groupBy } from '@app/common';
import { OPEN_DELIVERY_STATUSES, type MessageStatus } from '@app/contracts';
import type { Model } from 'mongoose';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
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

export class MessageRepository {
  constructor(
    private readonly model: Model<MessageEntity>,
    private readonly deliveries: Model<DeliveryEntity>,
  ) {}

  /** Returns the ids that were already stored (a replayed or duplicate message). */
  async insertMany(messages: MessageEntity[]): Promise<Set<string>> {
    const duplicates = await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, { ordered: false, lean: true }),
      messages,
    );
    return new Set([...duplicates].map((index) => messages[index]!._id));
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
   * order: the one that read first, `pending`, last. Hence a fence. Each refresh first stamps
   * its messages with a fresh `statusRefresh` token, then reads their deliveries and writes the
   * statuses (one updateMany per status), each only where its token is still there. A later
   * token on a message belongs to a refresh that started after this one's stamp, hence after
   * the delivery writes this one follows, and reads them all: the status written last is always
   * derived from a read that saw every delivery write before it. A refresh that lost a message
   * to a later one retries it (up to REFRESH_ROUNDS times, so two refreshes taking turns cannot
   * loop), as the later one may die before writing. Returns the messages it never wrote.
   * A message without any delivery keeps its status. With `appId`, only that app's messages.
   */
  private async refreshStatusFenced(
    messageIds: readonly string[],
    appId?: string,
  ): Promise<Set<string>> {
    const ofApp = appId === undefined ? {} : { appId };
    let left = await this.withoutOpenPending(messageIds, ofApp);
    for (let round = 0; round < REFRESH_ROUNDS && left.length > 0; round += 1) {
      const token = randomUUID();
      await this.model
        .updateMany({ _id: { $in: left }, ...ofApp }, { $set: { statusRefresh: token } })
        .exec();
      const statuses = await this.statusesFromDeliveries(left, ofApp);
      if (statuses.size === 0) return new Set();
      // One write per status (a handful), each only where this refresh's token is still there.
      const byStatus = groupBy(statuses, ([, status]) => status);
      const { matchedCount } = await this.model.bulkWrite(
        [...byStatus].map(([status, group]) => ({
          updateMany: {
            filter: { _id: { $in: group.map(([id]) => id) }, ...ofApp, statusRefresh: token },
            update: { $set: { status: status as MessageStatus } },
          },
        })),
        { ordered: false },
      );
      // Every status written: none overtaken (a message without deliveries has nothing to write).
      if (matchedCount === statuses.size) return new Set();
      const overtaken = await this.model
        .find({ _id: { $in: left }, ...ofApp, statusRefresh: { $ne: token } }, { _id: 1 })
        .lean<Pick<MessageEntity, '_id'>[]>()
        .exec();
      left = overtaken.map((message) => message._id);
    }
    return new Set(left);
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

  /**
   * These messages but those a refresh would leave as they are: stored `pending` with a delivery
   * still pending or held. Nothing is written for them (a fan-out to ten endpoints ends nine
   * deliveries that change nothing): whoever ends that open delivery refreshes the message after
   * its own write, and that refresh sees this one's writes too. Both reads follow the writes this
   * refresh is for, so a message they show open and pending was pending after those writes.
   */
  private async withoutOpenPending(
    messageIds: readonly string[],
    ofApp: { appId?: string },
  ): Promise<string[]> {
    if (messageIds.length === 0) return [];
    const [pending, withOpen] = await Promise.all([
      this.model
        .find({ _id: { $in: messageIds }, ...ofApp, status: 'pending' }, { _id: 1 })
        .lean<Pick<MessageEntity, '_id'>[]>()
        .exec(),
      this.deliveries
        .distinct('messageId', {
          messageId: { $in: messageIds },
          ...ofApp,
          status: { $in: [...OPEN_DELIVERY_STATUSES] },
        })
        .exec(),
    ]);
    const unchanged = new Set(withOpen);
    const stays = new Set(pending.map((message) => message._id).filter((id) => unchanged.has(id)));
    return messageIds.filter((id) => !stays.has(id));
  }
}
