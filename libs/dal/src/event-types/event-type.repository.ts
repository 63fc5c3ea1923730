import type { Model, mongo } from 'mongoose';
import { newId } from '@app/common';
import type { FollowedTail } from '../shared/change-log';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import {
  recordEventTypeChange,
  watchEventTypeChanges,
  type EventTypeChangeListener,
} from './event-type-changes';
import type { EventTypeDefinition, EventTypeEntity } from './event-type.entity';

export interface AppEventType {
  appId: string;
  name: string;
}

export class EventTypeRepository {
  constructor(private readonly model: Model<EventTypeEntity>) {}

  /**
   * Registers the event type, or replaces its definition (an archived one is registered again);
   * its version goes up by one either way. `created`: it did not exist before.
   */
  async put(
    appId: string,
    name: string,
    definition: EventTypeDefinition,
    now: Date,
  ): Promise<{ eventType: EventTypeEntity; created: boolean }> {
    const $set: Record<string, unknown> = { deprecated: definition.deprecated, updatedAt: now };
    const $unset: Record<string, ''> = { archivedAt: '' };
    for (const field of ['description', 'schemaJson', 'examplesJson'] as const) {
      if (definition[field] === undefined) $unset[field] = '';
      else $set[field] = definition[field];
    }
    const result = await this.model
      .findOneAndUpdate(
        { appId, name },
        { $set, $unset, $inc: { version: 1 }, $setOnInsert: { _id: newId('evt'), createdAt: now } },
        { upsert: true, new: true, includeResultMetadata: true },
      )
      .lean<mongo.ModifyResult<EventTypeEntity>>()
      .exec();
    await recordEventTypeChange(this.model, { eventTypeId: result.value!._id, appId, name });
    return {
      eventType: result.value!,
      created: result.lastErrorObject?.updatedExisting !== true,
    };
  }

  /** The event type, archived or not; null when the app never registered it. */
  findOne(appId: string, name: string): Promise<EventTypeEntity | null> {
    return this.model.findOne({ appId, name }).lean<EventTypeEntity>().exec();
  }

  /** These event types as stored (archived ones too); those never registered are left out. */
  findMany(wanted: readonly AppEventType[]): Promise<EventTypeEntity[]> {
    if (wanted.length === 0) return Promise.resolve([]);
    const namesByApp = new Map<string, Set<string>>();
    for (const { appId, name } of wanted) {
      const names = namesByApp.get(appId) ?? new Set<string>();
      names.add(name);
      namesByApp.set(appId, names);
    }
    const branches = [...namesByApp].map(([appId, names]) => ({
      appId,
      name: { $in: [...names] },
    }));
    return this.model
      .find(branches.length === 1 ? branches[0]! : { $or: branches })
      .lean<EventTypeEntity[]>()
      .exec();
  }

  /** How many event types the app has registered and not archived. */
  countRegistered(appId: string): Promise<number> {
    return this.model.countDocuments({ appId, archivedAt: { $exists: false } }).exec();
  }

  /** The app's registered (not archived) event types, newest first. */
  async list(
    appId: string,
    page: PageRequest,
  ): Promise<{ items: EventTypeEntity[]; nextCursor: string | null }> {
    const after =
      page.cursor === undefined ? {} : afterPosition('createdAt', decodeCursor(page.cursor), -1);
    const items = await this.model
      .find({ appId, archivedAt: { $exists: false }, ...after })
      .sort({ createdAt: -1, _id: -1 })
      .limit(page.limit + 1)
      .lean<EventTypeEntity[]>()
      .exec();
    return paginate(items, page.limit, (eventType) => eventType.createdAt);
  }

  /**
   * Archives the event type (its version goes up); false when the app has no such event type
   * registered. One archived already is left as it is.
   */
  async archive(appId: string, name: string, now: Date): Promise<boolean> {
    const archived = await this.model
      .findOneAndUpdate(
        { appId, name },
        [
          {
            $set: {
              archivedAt: { $ifNull: ['$archivedAt', now] },
              version: {
                $cond: [{ $ifNull: ['$archivedAt', false] }, '$version', { $add: ['$version', 1] }],
              },
              updatedAt: { $cond: [{ $ifNull: ['$archivedAt', false] }, '$updatedAt', now] },
            },
          },
        ],
        { new: true },
      )
      .lean<EventTypeEntity>()
      .exec();
    if (archived === null) return false;
    await recordEventTypeChange(this.model, { eventTypeId: archived._id, appId, name });
    return true;
  }

  /** Reports event-type changes as they happen (see watchEventTypeChanges). */
  watchChanges(listener: EventTypeChangeListener): FollowedTail {
    return watchEventTypeChanges(this.model, listener);
  }
}
