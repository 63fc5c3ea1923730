import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ChangeFollower } from '@app/common';
import {
  AppQuotaReader,
  EventTypeRepository,
  type EventTypeChange,
  type EventTypeEntity,
} from '@app/dal';
import { compileEventSchema, type CompiledSchema } from './event-schema';
import type { SchemaFailures } from './schema-failure';

/** Event types held at most (with their schemas' text), and the schema text they hold in all. */
const MAX_HELD_EVENT_TYPES = 10_000;
const MAX_HELD_SCHEMA_CHARS = 32 * 1024 * 1024;
/** Compiled validators kept at most; beyond, the least recently used is freed. */
const MAX_COMPILED = 500;

export interface CatalogCheck {
  appId: string;
  eventType: string;
  payload: unknown;
}

export type CatalogVerdict =
  | { ok: true }
  /** The app accepts only registered event types, and this one is not (or is archived). */
  | { ok: false; reason: 'unregistered' }
  | { ok: false; reason: 'schema_mismatch'; version: number; failures: SchemaFailures };

/** What is held of an event type: no more than checking a payload needs. */
interface Held {
  id: string;
  version: number;
  archived: boolean;
  schemaJson?: string;
}

/**
 * The event types of the apps, as the API (before its 202) and intake (AMQP) check messages
 * against them. What is read is kept while the catalog follows the change log, which drops an
 * event type the moment it is registered, changed or archived, so every process checks a message
 * against the version current when it is stored, give or take the log's lag (milliseconds). It
 * follows from the first check, not before: an API whose messages all come over AMQP never checks
 * one. While its tail is not open (at first, after it failed) every check reads, and nothing is
 * kept longer than EXPIRE_AFTER_MS. Validators are compiled once per event type and version and
 * kept (MAX_COMPILED, least recently used freed first); a validator is only ever used right after
 * it is taken from the cache, never across an await, so freeing one is always safe.
 */
@Injectable()
export class EventTypeCatalog implements OnModuleDestroy {
  private readonly logger = new Logger(EventTypeCatalog.name);
  /** By `${appId}\n${name}`, least recently used first; null: not registered. */
  private readonly held = new Map<string, Held | null>();
  private heldChars = 0;
  /** By `${id}@${version}`, least recently used first; null: could not be compiled. */
  private readonly compiled = new Map<string, CompiledSchema | null>();
  private readonly changes = new ChangeFollower<EventTypeChange>(
    (listener) => this.eventTypes.watchChanges(listener),
    {
      changed: (change) => this.changed(change),
      lost: (error) => this.lost(error),
      expired: () => this.clear(),
    },
  );
  private started = false;

  constructor(
    private readonly eventTypes: EventTypeRepository,
    private readonly apps: AppQuotaReader,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.changes.stop();
    for (const validator of this.compiled.values()) validator?.dispose();
    this.compiled.clear();
  }

  /** Whether the catalog holds what it read (its tail of the change log is open). */
  get following(): boolean {
    return this.changes.following;
  }

  /** One verdict per item, same order. Throws when MongoDB cannot be read. */
  async check(items: readonly CatalogCheck[]): Promise<CatalogVerdict[]> {
    if (items.length === 0) return [];
    if (!this.started) {
      this.started = true;
      this.changes.start();
    }
    const [limits, held] = await Promise.all([
      this.apps.limitsOfMany(items.map((item) => item.appId)),
      this.heldOf(items.map((item) => keyOf(item.appId, item.eventType))),
    ]);
    return items.map((item): CatalogVerdict => {
      const eventType = held.get(keyOf(item.appId, item.eventType)) ?? null;
      if (eventType === null || eventType.archived) {
        return limits.get(item.appId)?.requireRegisteredEventTypes === true
          ? { ok: false, reason: 'unregistered' }
          : { ok: true };
      }
      if (eventType.schemaJson === undefined) return { ok: true };
      const failures = this.validate(eventType, item.payload);
      return failures === undefined
        ? { ok: true }
        : { ok: false, reason: 'schema_mismatch', version: eventType.version, failures };
    });
  }

  /**
   * The payload's failures against the event type's schema. Should the validator throw (a bug,
   * never a payload's doing), the message passes and the error is logged: a check that throws
   * must not stall intake, which would retry the batch forever.
   */
  private validate(eventType: Held, payload: unknown): SchemaFailures | undefined {
    try {
      return this.validatorOf(eventType)?.validate(payload);
    } catch (error) {
      this.logger.error(
        `event type ${eventType.id} version ${eventType.version}: checking a payload failed, not checked: ${String(error)}`,
      );
      return undefined;
    }
  }

  private validatorOf(eventType: Held): CompiledSchema | null {
    const key = `${eventType.id}@${eventType.version}`;
    const cached = this.compiled.get(key);
    if (cached !== undefined) {
      this.compiled.delete(key);
      this.compiled.set(key, cached);
      return cached;
    }
    const result = compileEventSchema(JSON.parse(eventType.schemaJson!) as unknown);
    const validator = result.ok ? result.schema : null;
    // Stored schemas were compiled at PUT: this only happens if the rules changed since.
    if (!result.ok)
      this.logger.warn(
        `event type ${eventType.id} version ${eventType.version}: its stored schema no longer compiles; payloads are not checked against it`,
      );
    this.compiled.set(key, validator);
    if (this.compiled.size > MAX_COMPILED) {
      const [oldest, freed] = this.compiled.entries().next().value!;
      this.compiled.delete(oldest);
      freed?.dispose();
    }
    return validator;
  }

  private async heldOf(keys: readonly string[]): Promise<Map<string, Held | null>> {
    const found = new Map<string, Held | null>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const held = this.held.get(key);
      if (held === undefined) missing.push(key);
      else found.set(key, this.touch(key, held));
    }
    if (missing.length === 0) return found;
    const mark = this.changes.mark();
    const read = await this.eventTypes.findMany(missing.map(appEventTypeOf));
    const fresh = new Map<string, Held | null>(missing.map((key) => [key, null]));
    for (const doc of read) fresh.set(keyOf(doc.appId, doc.name), heldOf(doc));
    for (const [key, held] of fresh) {
      found.set(key, held);
      if (this.changes.mayKeep(mark)) this.keep(key, held);
    }
    return found;
  }

  private touch(key: string, held: Held | null): Held | null {
    this.held.delete(key);
    this.held.set(key, held);
    return held;
  }

  private keep(key: string, held: Held | null): void {
    this.drop(key);
    this.held.set(key, held);
    this.heldChars += held?.schemaJson?.length ?? 0;
    for (const oldest of this.held.keys()) {
      const over = this.held.size > MAX_HELD_EVENT_TYPES || this.heldChars > MAX_HELD_SCHEMA_CHARS;
      if (!over || oldest === key) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    this.held.delete(key);
    if (held === null) return;
    this.heldChars -= held.schemaJson?.length ?? 0;
    const compiledKey = `${held.id}@${held.version}`;
    this.compiled.get(compiledKey)?.dispose();
    this.compiled.delete(compiledKey);
  }

  private changed({ appId, name }: EventTypeChange): void {
    this.drop(keyOf(appId, name));
  }

  private lost(error: unknown): void {
    this.clear();
    this.logger.warn(
      `following event type changes stopped (${String(error)}): event types are read for every check until it starts again`,
    );
  }

  private clear(): void {
    for (const key of [...this.held.keys()]) this.drop(key);
  }
}

function keyOf(appId: string, eventType: string): string {
  return `${appId}\n${eventType}`;
}

function appEventTypeOf(key: string): { appId: string; name: string } {
  const cut = key.indexOf('\n');
  return { appId: key.slice(0, cut), name: key.slice(cut + 1) };
}

function heldOf(doc: EventTypeEntity): Held {
  return {
    id: doc._id,
    version: doc.version,
    archived: doc.archivedAt !== undefined && doc.archivedAt !== null,
    ...(doc.schemaJson === undefined ? {} : { schemaJson: doc.schemaJson }),
  };
}
