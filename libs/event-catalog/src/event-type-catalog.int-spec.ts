import { Test } from '@nestjs/testing';
import type { Connection, Model } from 'mongoose';
import {
  AppQuotaReader,
  AppRepository,
  EventTypeRepository,
  openConnection,
  type AppEntity,
  type EventTypeChangeListener,
  type EventTypeEntity,
} from '@app/dal';
import { changeLogTails, openChangeLogTails } from '../../../test/support/change-log-tails';
import { eventually } from '../../../test/support/eventually';
import { testDatabaseUri } from '../../../test/support/test-database';
import { EventTypeCatalog } from './event-type-catalog';

const T0 = new Date('2026-12-02T08:00:00.000Z');
const QUOTAS = {
  endpoints: 100,
  messagesPerSecond: 1_000,
  emailsPerHour: 1_000,
  smsPerHour: 100,
  minRetryDelay: 1_000,
  retryScheduleLength: 50,
  eventTypesPerEndpoint: 100,
  headersBytes: 16_384,
  templateBytes: 65_536,
};

/** A catalog over `make`'s repository, in a database of its own with app_a, through Nest's lifecycle. */
async function catalogOn<R extends EventTypeRepository>(
  make: (model: Model<EventTypeEntity>) => R,
): Promise<{
  eventTypes: R;
  catalog: EventTypeCatalog;
  connection: Connection;
  close: () => Promise<void>;
}> {
  const connection = await openConnection(testDatabaseUri('test_event_catalog'));
  const eventTypes = make(connection.model<EventTypeEntity>('EventType'));
  const apps = new AppRepository(connection.model<AppEntity>('App'));
  await apps.create({ _id: 'app_a', name: 'a', apiKeyHash: 'h', createdAt: T0 });
  const catalog = new EventTypeCatalog(eventTypes, new AppQuotaReader(apps, QUOTAS));
  const module = await Test.createTestingModule({
    providers: [{ provide: EventTypeCatalog, useValue: catalog }],
  }).compile();
  await module.init();
  const close = async () => {
    await module.close();
    await connection.dropDatabase();
    await connection.close();
  };
  return { eventTypes, catalog, connection, close };
}

/** The real repository, counting its reads of event types and the tails it opens. */
class CountingEventTypes extends EventTypeRepository {
  reads = 0;
  tails = 0;

  override watchChanges(listener: EventTypeChangeListener) {
    this.tails++;
    return super.watchChanges(listener);
  }

  override findMany(wanted: Parameters<EventTypeRepository['findMany']>[0]) {
    this.reads++;
    return super.findMany(wanted);
  }
}

/** The real repository; its tail of the change log opens when the test says, and a read can be held back. */
class GatedEventTypes extends EventTypeRepository {
  private listener: EventTypeChangeListener | undefined;
  private tail: ReturnType<EventTypeRepository['watchChanges']> | undefined;
  /** Set: the next read, once it has read, waits for `releaseRead`. */
  holdNextRead = false;
  releaseRead: (() => void) | undefined;

  override watchChanges(listener: EventTypeChangeListener) {
    this.listener = listener;
    return {
      close: () => this.tail?.close() ?? Promise.resolve(),
      caughtUp: () => this.tail?.caughtUp() ?? Promise.resolve(false),
    };
  }

  openTail(): void {
    this.tail = super.watchChanges(this.listener!);
  }

  override async findMany(wanted: Parameters<EventTypeRepository['findMany']>[0]) {
    const read = await super.findMany(wanted);
    if (this.holdNextRead) {
      this.holdNextRead = false;
      await new Promise<void>((resolve) => (this.releaseRead = resolve));
    }
    return read;
  }
}

describe('EventTypeCatalog: held while the change log says nothing changed (real MongoDB)', () => {
  let eventTypes: CountingEventTypes;
  let catalog: EventTypeCatalog;
  let connection: Connection;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ eventTypes, catalog, connection, close } = await catalogOn(
      (model) => new CountingEventTypes(model),
    ));
  });
  afterAll(() => close());

  const check = async (payload: unknown) =>
    (await catalog.check([{ appId: 'app_a', eventType: 'order.paid', payload }]))[0]!;

  it('follows the change log from the first check, not when the module starts', async () => {
    // An API whose messages all come over AMQP never checks one: it needs no tail.
    expect(eventTypes.tails).toBe(0);
    expect(await changeLogTails(connection)).toHaveLength(0);

    expect(await check({})).toEqual({ ok: true });
    await eventually(() => (catalog.following ? true : undefined));
    expect(await openChangeLogTails(connection)).toHaveLength(1);
    expect(await check({})).toEqual({ ok: true });
    expect(eventTypes.tails).toBe(1);
  });

  const put = (schema: object) =>
    eventTypes.put(
      'app_a',
      'order.paid',
      { schemaJson: JSON.stringify(schema), deprecated: false },
      T0,
    );

  it('reads an event type once, then checks from what it holds until it changes', async () => {
    await check({});
    await eventually(() => (catalog.following ? true : undefined));
    expect(await check({})).toEqual({ ok: true });
    const readsUnregistered = eventTypes.reads;
    expect(await check({})).toEqual({ ok: true });
    expect(eventTypes.reads).toBe(readsUnregistered);

    // Registered: the log drops the "not registered" it held.
    await put({ type: 'object', required: ['amount'] });
    const v1 = await eventually(async () => {
      const verdict = await check({});
      return verdict.ok ? undefined : verdict;
    });
    expect(v1).toMatchObject({ reason: 'schema_mismatch', version: 1 });
    const reads = eventTypes.reads;
    for (let i = 0; i < 5; i++) expect((await check({ amount: 1 })).ok).toBe(true);
    expect(eventTypes.reads).toBe(reads);

    // A new version is enforced as soon as the log reports it.
    await put({ type: 'object', required: ['amount', 'currency'] });
    const v2 = await eventually(async () => {
      const verdict = await check({ amount: 1 });
      return verdict.ok ? undefined : verdict;
    });
    expect(v2).toMatchObject({
      reason: 'schema_mismatch',
      version: 2,
      failures: { failures: [{ pointer: '/currency', keyword: 'required' }] },
    });

    // Archived: no longer enforced.
    await eventTypes.archive('app_a', 'order.paid', T0);
    await eventually(async () => ((await check({})).ok ? true : undefined));
  });
});

describe('EventTypeCatalog: a read that began before its tail opened (real MongoDB)', () => {
  let eventTypes: GatedEventTypes;
  let catalog: EventTypeCatalog;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ eventTypes, catalog, close } = await catalogOn((model) => new GatedEventTypes(model)));
  });
  afterAll(() => close());

  const check = async (payload: unknown) =>
    (await catalog.check([{ appId: 'app_a', eventType: 'order.paid', payload }]))[0]!;
  const put = (required: string[]) =>
    eventTypes.put(
      'app_a',
      'order.paid',
      { schemaJson: JSON.stringify({ type: 'object', required }), deprecated: false },
      T0,
    );

  it('is not kept: a change made before the tail opened is never reported', async () => {
    await put(['amount']);
    eventTypes.holdNextRead = true;
    const first = check({});
    await eventually(() => eventTypes.releaseRead);
    // Version 2 lands after that read and before the tail opens: the tail will not report it.
    await put(['amount', 'currency']);
    eventTypes.openTail();
    await eventually(() => (catalog.following ? true : undefined));
    eventTypes.releaseRead!();
    expect(await first).toMatchObject({ reason: 'schema_mismatch', version: 1 });

    expect(await check({ amount: 1 })).toMatchObject({ reason: 'schema_mismatch', version: 2 });
  });
});
