import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { CHANGE_LEASE_MS, SystemClock } from '@app/common';
import type { NotifierConfig } from '@app/config';
import type { AppQuotas } from '@app/contracts';
import {
  AppQuotaReader,
  AppRepository,
  DeliveryRepository,
  EndpointRepository,
  MessageRepository,
  openConnection,
  RateLimitRepository,
  type AppEntity,
  type DeliveryEntity,
  type EndpointChangeListener,
  type EndpointEntity,
  type MessageEntity,
  OrderingKeyRepository,
  type OrderingKeyEntity,
} from '@app/dal';
import { eventually } from '../../../../test/support/eventually';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { IntakePacer } from '../isolation/intake-pacer';
import { EndpointCache } from './endpoint-cache';
import type { DeliverySlots, IncomingMessage } from './store-messages.command';
import { StaleTargets } from './stale-targets';
import { StoreMessagesUseCase } from './store-messages.usecase';
import { OrderedDeliveries } from './ordered-deliveries';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const QUOTAS: AppQuotas = {
  endpoints: 100,
  messagesPerSecond: 100_000,
  emailsPerHour: 100,
  smsPerHour: 100,
  minRetryDelay: 0,
  retryScheduleLength: 10,
  eventTypesPerEndpoint: 10,
  headersBytes: 10_000,
  templateBytes: 10_000,
};

function endpoint(id: string, eventTypes = ['order.*']): EndpointEntity {
  return {
    _id: id,
    appId: 'app_1',
    channel: 'webhook',
    url: `https://example.com/${id}`,
    eventTypes,
    timeoutMs: 5_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [{ secret: 'whsec_test' }],
    recipientTokenHash: `hash_${id}`,
    createdAt: T0,
    updatedAt: T0,
  };
}

/**
 * Endpoints whose tail of the change log lags: their changes reach no follower, as in the log's
 * last milliseconds, and it has not read the log to its end while it holds any back. Counts the
 * reads of the log's end and of the endpoints.
 */
class LaggingEndpoints extends EndpointRepository {
  private heldBack = 0;
  readonly asked = { logEnd: 0, endpoints: 0 };

  override watchChanges(listener: EndpointChangeListener) {
    const tail = super.watchChanges({ ...listener, changed: () => this.heldBack++ });
    return {
      close: () => tail.close(),
      caughtUp: async () => {
        this.asked.logEnd++;
        return (await tail.caughtUp()) && this.heldBack === 0;
      },
    };
  }

  override findByApps(appIds: readonly string[]) {
    this.asked.endpoints++;
    return super.findByApps(appIds);
  }
}

/** Fakes performance.now() only, which the lease runs on: MongoDB's I/O and timers run as usual. */
function freezeLeaseClock(): void {
  jest.useFakeTimers({
    doNotFake: [
      'Date',
      'hrtime',
      'nextTick',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

const slots: DeliverySlots = {
  tryTake: () => true,
  startsAtOnce: () => true,
  giveBack: () => undefined,
};

const message = (n: number, appId = 'app_1'): IncomingMessage => ({
  appId,
  eventType: 'order.paid',
  payload: { n },
  mintedId: `msg_${randomBytes(16).toString('hex')}`,
});

/**
 * Intake plans a message's deliveries from the endpoints it holds and checks them beside its
 * insert, unless a check less than CHANGE_LEASE_MS ago found the log read to its end: a message
 * published after an endpoint change was answered still gets the endpoints as changed when the
 * change has not reached the notifier yet.
 */
describe('StoreMessagesUseCase with endpoints held (real MongoDB)', () => {
  let connection: Connection;
  let endpoints: LaggingEndpoints;
  let deliveries: DeliveryRepository;
  let messages: MessageRepository;
  let cache: EndpointCache;
  let apps: AppRepository;
  let useCase: StoreMessagesUseCase;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_store'));
    const deliveryModel = connection.model<DeliveryEntity>('Delivery');
    apps = new AppRepository(connection.model<AppEntity>('App'));
    endpoints = new LaggingEndpoints(connection.model<EndpointEntity>('Endpoint'));
    deliveries = new DeliveryRepository(deliveryModel);
    messages = new MessageRepository(connection.model<MessageEntity>('Message'), deliveryModel);
    await apps.create({ _id: 'app_1', name: 'shop', apiKeyHash: 'hash', createdAt: T0 });
    await endpoints.create(endpoint('ep_1'));
    cache = new EndpointCache(endpoints);
    cache.onModuleInit();
    const pacer = new IntakePacer(
      new AppQuotaReader(apps, QUOTAS),
      new RateLimitRepository(
        connection.model('RateWindow') as ConstructorParameters<typeof RateLimitRepository>[0],
      ),
    );
    useCase = new StoreMessagesUseCase(
      apps,
      cache,
      messages,
      deliveries,
      new SystemClock(),
      { leaseMs: 90_000 } as NotifierConfig,
      pacer,
      new OrderedDeliveries(
        new OrderingKeyRepository(
          connection.model<OrderingKeyEntity>('OrderingKey'),
          deliveryModel,
        ),
        deliveries,
      ),
      new StaleTargets(messages, deliveries),
    );
  });
  afterAll(async () => {
    await cache.onModuleDestroy();
    await connection.dropDatabase();
    await connection.close();
  });

  const targetsOf = async (id: string) =>
    (await messages.findById('app_1', id))?.targetEndpointIds.sort();
  const endpointsOf = async (id: string) =>
    (await deliveries.findByMessage('app_1', id)).map((d) => d.endpointId).sort();

  it('gives a message published after an endpoint change was answered the endpoints as they are', async () => {
    freezeLeaseClock();
    try {
      // Held once the tail of the change log is open and a batch has read them; a check then
      // finds the log's end read, which starts the lease.
      await eventually(async () => {
        await useCase.execute({ messages: [message(0)], slots });
        const read = endpoints.asked.endpoints;
        await (
          await cache.forIntake(['app_1'])
        ).check;
        return endpoints.asked.endpoints === read ? true : undefined;
      });
      // Within the lease, a batch is planned from what is held, asking nothing.
      const asked = { ...endpoints.asked };
      const { check } = await cache.forIntake(['app_1']);
      expect(check).toBeUndefined();
      expect(endpoints.asked).toEqual(asked);

      // Changes the tail holds back; the API answers them CHANGE_LEASE_MS after recording them.
      await endpoints.create(endpoint('ep_2'));
      await endpoints.updateSettings(
        'app_1',
        'ep_1',
        { eventTypes: ['invoice.*'] },
        { now: T0, freshHealth: false },
      );
      jest.advanceTimersByTime(CHANGE_LEASE_MS);
      const stored = await useCase.execute({ messages: [message(1), message(2)], slots });

      for (const result of stored.results) {
        if (!result.stored) throw new Error('not stored');
        expect(await targetsOf(result.messageId)).toEqual(['ep_2']);
        expect(await endpointsOf(result.messageId)).toEqual(['ep_2']);
      }
      expect(stored.claimed.map((d) => d.endpointId)).toEqual(['ep_2', 'ep_2']);
      expect(stored.endpoints.get('ep_1')?.eventTypes).toEqual(['invoice.*']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads every app again when a batch mixes held apps with others', async () => {
    await apps.create({ _id: 'app_2', name: 'other', apiKeyHash: 'hash_2', createdAt: T0 });
    await endpoints.create(endpoint('ep_3'));
    const stored = await useCase.execute({ messages: [message(3), message(4, 'app_2')], slots });

    const [held] = stored.results;
    if (held?.stored !== true) throw new Error('not stored');
    expect(await targetsOf(held.messageId)).toEqual(['ep_2', 'ep_3']);
    expect(await endpointsOf(held.messageId)).toEqual(['ep_2', 'ep_3']);
  });
  it('numbers held deliveries to an ordered endpoint in arrival order; a replay keeps its numbers', async () => {
    await endpoints.create({ ...endpoint('ep_ordered', ['ship.*']), ordered: true });
    const keyed = (n: number, key: string): IncomingMessage => ({
      appId: 'app_1',
      eventType: 'ship.moved',
      payload: { n },
      orderingKey: key,
      idempotencyKey: `ship-${key}-${n}`,
    });
    const batch = [keyed(1, 'a'), keyed(1, 'b'), keyed(2, 'a'), keyed(3, 'a')];
    const first = await eventually(async () => {
      const result = await useCase.execute({ messages: batch, slots });
      return result.results.every((r) => r.stored) ? result : undefined;
    });
    const ids = first.results.map((r) => (r.stored ? r.messageId : ''));
    const sequenceOf = async (id: string) =>
      (await deliveries.findByMessage('app_1', id)).find((d) => d.endpointId === 'ep_ordered')
        ?.ordering;
    expect(await Promise.all(ids.map(sequenceOf))).toEqual([
      { key: 'a', sequence: 1 },
      { key: 'b', sequence: 1 },
      { key: 'a', sequence: 2 },
      { key: 'a', sequence: 3 },
    ]);
    // Never claimed at intake; the first of each key was handed on, the others wait.
    expect(first.claimed.filter((d) => d.endpointId === 'ep_ordered')).toEqual([]);
    expect(
      await Promise.all(
        ids.map(async (id) => (await deliveries.findByMessage('app_1', id))[0]?.status),
      ),
    ).toEqual(['pending', 'pending', 'held', 'held']);

    // The same batch again (a redelivery after a crash before the ack), then a new message.
    await useCase.execute({ messages: batch, slots });
    const next = await useCase.execute({ messages: [keyed(4, 'a')], slots });
    expect(await Promise.all(ids.map(sequenceOf))).toEqual([
      { key: 'a', sequence: 1 },
      { key: 'b', sequence: 1 },
      { key: 'a', sequence: 2 },
      { key: 'a', sequence: 3 },
    ]);
    const fourth = next.results[0]!;
    expect(fourth.stored && (await sequenceOf(fourth.messageId))).toEqual({
      key: 'a',
      sequence: 4,
    });
  });
});
