import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import {
  AppQuotaReader,
  AppRepository,
  EventTypeRepository,
  openConnection,
  type AppEntity,
  type EventTypeEntity,
} from '@app/dal';
import { eventually } from '../../../test/support/eventually';
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

/** The real repository, counting its reads of event types. */
class CountingEventTypes extends EventTypeRepository {
  reads = 0;

  override findMany(wanted: Parameters<EventTypeRepository['findMany']>[0]) {
    this.reads++;
    return super.findMany(wanted);
  }
}

describe('EventTypeCatalog: held while the change stream says nothing changed (real MongoDB)', () => {
  let connection: Connection;
  let eventTypes: CountingEventTypes;
  let catalog: EventTypeCatalog;

  beforeAll(async () => {
    // eslint-disable-next-line no-restricted-properties -- the e2e global setup provides the test MongoDB
    const url = new URL(process.env.MONGODB_URI!);
    url.pathname = `/test_event_catalog_${randomBytes(4).toString('hex')}`;
    connection = await openConnection(url.toString());
    eventTypes = new CountingEventTypes(connection.model<EventTypeEntity>('EventType'));
    const apps = new AppRepository(connection.model<AppEntity>('App'));
    await apps.create({ _id: 'app_a', name: 'a', apiKeyHash: 'h', createdAt: T0 });
    catalog = new EventTypeCatalog(eventTypes, new AppQuotaReader(apps, QUOTAS));
    catalog.onModuleInit();
    await eventually(() => (catalog.following ? true : undefined));
  });
  afterAll(async () => {
    await catalog.onModuleDestroy();
    await connection.dropDatabase();
    await connection.close();
  });

  const check = async (payload: unknown) =>
    (await catalog.check([{ appId: 'app_a', eventType: 'order.paid', payload }]))[0]!;
  const put = (schema: object) =>
    eventTypes.put(
      'app_a',
      'order.paid',
      { schemaJson: JSON.stringify(schema), deprecated: false },
      T0,
    );

  it('reads an event type once, then checks from what it holds until it changes', async () => {
    expect(await check({})).toEqual({ ok: true });
    const readsUnregistered = eventTypes.reads;
    expect(await check({})).toEqual({ ok: true });
    expect(eventTypes.reads).toBe(readsUnregistered);

    // Registered: the stream drops the "not registered" it held.
    await put({ type: 'object', required: ['amount'] });
    const v1 = await eventually(async () => {
      const verdict = await check({});
      return verdict.ok ? undefined : verdict;
    });
    expect(v1).toMatchObject({ reason: 'schema_mismatch', version: 1 });
    const reads = eventTypes.reads;
    for (let i = 0; i < 5; i++) expect((await check({ amount: 1 })).ok).toBe(true);
    expect(eventTypes.reads).toBe(reads);

    // A new version is enforced as soon as the stream reports it.
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
