import { randomBytes } from 'node:crypto';
import {
  connect,
  type ChannelModel,
  type ConfirmChannel,
  type GetMessage,
  type Options,
} from 'amqplib';
import type { Connection } from 'mongoose';
import { SystemClock } from '@app/common';
import { loadConfig, notifierConfigSchema, type NotifierConfig } from '@app/config';
import {
  DEAD_LETTER_QUEUE,
  EVENTS_EXCHANGE,
  HEADER_APP_ID,
  HEADER_ERROR,
  HEADER_ORIGINAL_SIZE,
  INTAKE_QUEUE,
} from '@app/contracts';
import {
  AppQuotaReader,
  AppRepository,
  DeliveryRepository,
  EndpointRepository,
  EventTypeRepository,
  MessageRepository,
  openConnection,
  RateLimitRepository,
  RefusedDeadLetterRepository,
  type AppEntity,
  type DeliveryEntity,
  type EndpointEntity,
  type EventTypeEntity,
  type MessageEntity,
  type RefusedDeadLetterEntity,
  OrderingKeyRepository,
  type OrderingKeyEntity,
} from '@app/dal';
import { EventTypeCatalog } from '@app/event-catalog';
import { AmqpConnection, assertTopology, ConfirmPublisher } from '@app/messaging';
import { eventually } from '../../../../test/support/eventually';
import { nestedObject } from '../../../../test/support/nested-object';
import { takeOne } from '../../../../test/support/take-one';
import { createVhost, type Vhost } from '../../../../test/support/rabbit-vhost';
import { testDatabaseUri } from '../../../../test/support/test-database';
import type { DeliveryDispatcher, DispatchOptions } from '../attempt/delivery-dispatcher';
import type { DeliveryScheduler } from '../claim/delivery.scheduler';
import { IntakePacer } from '../isolation/intake-pacer';
import { SlotAccountant } from '../isolation/slot-accountant';
import { EndpointCache } from '../store-messages/endpoint-cache';
import type { DeliverySlots, Unconfirmed } from '../store-messages/store-messages.command';
import { StaleTargets } from '../store-messages/stale-targets';
import { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import { OrderedDeliveries } from '../store-messages/ordered-deliveries';
import { AcceptedMessages } from './accepted-messages';
import { BrokerUserBinding } from './broker-user-binding';
import { PlatformEvents } from '../platform-events/platform-events';
import { DeadLetters } from './dead-letters';
import { EventTypeCheck } from './event-type-check';
import { IntakeConfirmation } from './intake-confirmation';
import { IntakeConsumer } from './intake.consumer';

const T0 = new Date('2026-11-26T08:00:00.000Z');
/** Over INTAKE_MAX_MESSAGE_BYTES (256 KiB by default). */
const OVERSIZED_BYTES = 300_000;

/** rate-window.schema.ts's entity, which the DAL keeps to itself. */
type RateWindow = { _id: string; count: number; expiresAt: Date };

/**
 * The dispatcher as intake sees it: its slots (a real SlotAccountant: an endpoint may hold two
 * here at first), and what it was handed to attempt, recorded, never attempted.
 */
class RecordingDispatcher implements DeliverySlots {
  readonly dispatched: {
    claimToken: string;
    deliveries: DeliveryEntity[];
    /** The ids of the endpoints and messages handed on with them (what their attempts need). */
    preloaded: { endpoints: string[]; messages: string[] };
  }[] = [];

  constructor(private readonly slots: SlotAccountant) {}

  tryTake(appId: string, endpointId: string): boolean {
    return this.slots.tryTake(appId, endpointId);
  }

  startsAtOnce(): boolean {
    return true;
  }

  giveBack(appId: string, endpointId: string): void {
    this.slots.giveBack(appId, endpointId);
  }

  async dispatch(
    deliveries: readonly DeliveryEntity[],
    claimToken: string,
    options: DispatchOptions = {},
  ): Promise<void> {
    if (deliveries.length === 0) return;
    const preloaded = await options.preloaded;
    this.dispatched.push({
      claimToken,
      deliveries: [...deliveries],
      preloaded: {
        endpoints: [...(preloaded?.endpoints.keys() ?? [])],
        messages: [...(preloaded?.messages.keys() ?? [])],
      },
    });
  }
}

/**
 * The real repository, counting its writes (to see that intake tried, and tried again); the
 * first write of a message with the idempotency key given to `holdFirstInsertOf` waits until
 * `release` (a write MongoDB is slow with). A message with the key given to `spoil` is written
 * with a payload nested deeper than MongoDB takes: a message intake's checks let through and
 * MongoDB refuses every time.
 */
class CountingMessages extends MessageRepository {
  inserts = 0;
  held = false;
  private holding: string | undefined;
  private spoiled: string | undefined;
  private released: Promise<void> = Promise.resolve();
  release: () => void = () => undefined;

  holdFirstInsertOf(idempotencyKey: string): void {
    this.holding = idempotencyKey;
    this.released = new Promise((resolve) => (this.release = resolve));
  }

  spoil(idempotencyKey: string): void {
    this.spoiled = idempotencyKey;
  }

  override async insertMany(
    messages: MessageEntity[],
    options?: Parameters<MessageRepository['insertMany']>[1],
  ): Promise<Set<string>> {
    // Called with none, it writes nothing.
    if (messages.length > 0) this.inserts += 1;
    if (!this.held && messages.some((m) => m.idempotencyKey === this.holding)) {
      this.held = true;
      await this.released;
    }
    return super.insertMany(
      messages.map((m) =>
        this.spoiled !== undefined && m.idempotencyKey === this.spoiled
          ? { ...m, payload: nestedObject(200) }
          : m,
      ),
      options,
    );
  }
}

interface Intake {
  consumer: IntakeConsumer;
  dispatcher: RecordingDispatcher;
  kicks: () => number;
  messages: CountingMessages;
  /** Its broker connection gone at once, as when its process dies: nothing more acknowledged. */
  crash(): Promise<void>;
  /** Graceful shutdown, as the notifier's: stops consuming, finishes the batch, disconnects. */
  stop(): Promise<void>;
}

describe('IntakeConsumer: stores, acknowledges and dead-letters (real RabbitMQ and MongoDB)', () => {
  let vhost: Vhost;
  let mongo: Connection;
  /** Opened and closed again: MongoDB as a notifier sees it when it went away. */
  let down: Connection;
  let config: NotifierConfig;
  let producer: ChannelModel;
  let publishing: ConfirmChannel;
  const running: Intake[] = [];

  async function stopIntake(intake: Intake): Promise<void> {
    running.splice(running.indexOf(intake), 1);
    await intake.stop();
  }

  beforeAll(async () => {
    vhost = await createVhost();
    const uri = testDatabaseUri('test_intake');
    mongo = await openConnection(uri);
    down = await openConnection(uri);
    await down.close();
    config = loadConfig(notifierConfigSchema, {
      AMQP_URL: vhost.url,
      // The producers here publish as guest, which is then not the API's broker user.
      API_BROKER_USER: 'notify-api',
      DELIVERY_CONCURRENCY: '20',
    });
    producer = await connect(vhost.url);
    await assertTopology(producer);
    publishing = await producer.createConfirmChannel();
    await mongo.collection('apps').insertMany([
      app('app_shop'),
      // Bound: only this broker user may publish for it (the API aside).
      { ...app('app_bound'), brokerUser: 'bound-publisher' },
    ] as never[]);
    await mongo.collection('endpoints').insertOne(endpoint('ep_shop', 'app_shop') as never);
  });
  afterAll(async () => {
    await producer?.close();
    await mongo?.dropDatabase();
    await mongo?.close();
    await vhost?.remove();
  });
  afterEach(async () => {
    for (const intake of running.splice(0)) {
      // A write a test held and did not let go of (it failed first) would hold the stop.
      intake.messages.release();
      await intake.stop();
    }
    await mongo.collection('messages').deleteMany({});
    await mongo.collection('deliveries').deleteMany({});
    await publishing.purgeQueue(DEAD_LETTER_QUEUE);
  });

  /**
   * A notifier's intake, built from its real collaborators; `db` is where it stores messages,
   * `confirming` how it confirms what it wrote unconfirmed (by default, as the notifier does),
   * `prepare` what is done to its messages' repository before it takes any message.
   */
  async function startIntake(
    db: Connection = mongo,
    confirming: (
      messages: MessageRepository,
      deliveries: DeliveryRepository,
    ) => IntakeConfirmation = (messages, deliveries) =>
      new IntakeConfirmation(messages, deliveries),
    prepare: (messages: CountingMessages) => void = () => undefined,
  ): Promise<Intake> {
    const amqp = new AmqpConnection(vhost.url, 'intake-int-spec');
    const publisher = new ConfirmPublisher(amqp, 10_000);
    const clock = new SystemClock();
    const apps = new AppRepository(mongo.model<AppEntity>('App'));
    const rateLimits = new RateLimitRepository(mongo.model<RateWindow>('RateWindow'));
    const messages = new CountingMessages(
      db.model<MessageEntity>('Message'),
      db.model<DeliveryEntity>('Delivery'),
    );
    prepare(messages);
    const endpoints = new EndpointCache(
      new EndpointRepository(mongo.model<EndpointEntity>('Endpoint')),
    );
    const deliveries = new DeliveryRepository(db.model<DeliveryEntity>('Delivery'));
    const store = new StoreMessagesUseCase(
      apps,
      endpoints,
      messages,
      deliveries,
      clock,
      config,
      new IntakePacer(new AppQuotaReader(apps, config.quotas), rateLimits),
      new OrderedDeliveries(
        new OrderingKeyRepository(
          db.model<OrderingKeyEntity>('OrderingKey'),
          db.model<DeliveryEntity>('Delivery'),
        ),
        deliveries,
      ),
      new StaleTargets(messages, deliveries),
    );
    const catalog = new EventTypeCatalog(
      new EventTypeRepository(mongo.model<EventTypeEntity>('EventType')),
      new AppQuotaReader(apps, config.quotas),
    );
    const dispatcher = new RecordingDispatcher(new SlotAccountant(config));
    let kicks = 0;
    const scheduler = { kick: () => (kicks += 1) };
    const deadLetters = new DeadLetters(
      publisher,
      new RefusedDeadLetterRepository(mongo.model<RefusedDeadLetterEntity>('RefusedDeadLetter')),
      clock,
      new PlatformEvents(endpoints, store),
    );
    const consumer = new IntakeConsumer(
      amqp,
      config,
      new BrokerUserBinding(apps, clock, config),
      new EventTypeCheck(catalog, config),
      deadLetters,
      new AcceptedMessages(
        store,
        dispatcher as unknown as DeliveryDispatcher,
        scheduler as unknown as DeliveryScheduler,
        deadLetters,
        confirming(messages, deliveries),
      ),
    );
    await consumer.onApplicationBootstrap();
    await amqp.start();
    const intake: Intake = {
      consumer,
      dispatcher,
      kicks: () => kicks,
      messages,
      crash: () => amqp.close(),
      stop: async () => {
        await consumer.stop();
        await amqp.close();
        // As Nest would at shutdown: its tail of the change log, opened at its first check, is
        // closed.
        await catalog.onModuleDestroy();
      },
    };
    running.push(intake);
    return intake;
  }

  async function publish(body: unknown, options: Options.Publish = {}): Promise<void> {
    const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    publishing.publish(EVENTS_EXCHANGE, 'order.paid', content, { persistent: true, ...options });
    await publishing.waitForConfirms();
  }

  const fromShop = (extra: Options.Publish = {}): Options.Publish => ({
    ...extra,
    headers: { [HEADER_APP_ID]: 'app_shop', ...extra.headers },
  });

  const storedKeys = async () =>
    (await mongo.collection('messages').find({}).toArray()).map((m) => m.idempotencyKey).sort();

  it('stores a batch, then acknowledges it; the claimed deliveries go to the dispatcher, the rest to the scheduler', async () => {
    for (let i = 0; i < 5; i++) {
      await publish(
        { eventType: 'order.paid', payload: { n: i }, idempotencyKey: `k${i}` },
        fromShop(),
      );
    }
    const intake = await startIntake();

    await eventually(async () => ((await storedKeys()).length === 5 ? true : undefined), {
      what: 'five messages stored',
    });
    expect(await storedKeys()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    await stopIntake(intake);
    expect(await leftInIntake()).toEqual([]);

    // The endpoint may hold two here at first: two claimed at insert and handed on with what
    // their attempts need, three left due for the scheduler, which was told at once.
    const handedOn = intake.dispatcher.dispatched.flatMap((d) => d.deliveries);
    expect(handedOn).toHaveLength(2);
    expect(intake.kicks()).toBeGreaterThan(0);
    const deliveries = await mongo.collection('deliveries').find({}).toArray();
    expect(deliveries).toHaveLength(5);
    for (const { claimToken, deliveries: claimed, preloaded } of intake.dispatcher.dispatched) {
      const ids = claimed.map((d) => d._id);
      expect(
        deliveries
          .filter((d) => d.claimToken === claimToken)
          .map((d) => d._id)
          .sort(),
      ).toEqual(ids.sort());
      expect(preloaded.endpoints).toEqual(['ep_shop']);
      expect(preloaded.messages).toEqual(expect.arrayContaining(claimed.map((d) => d.messageId)));
    }
    const unclaimed = deliveries.filter((d) => d.claimToken === null);
    expect(unclaimed).toHaveLength(3);
    for (const d of unclaimed) expect(d.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('keeps the first of two messages with one idempotency key while the first is still being written', async () => {
    const intake = await startIntake();
    intake.messages.holdFirstInsertOf('order-1');
    const copy = (n: number) => ({
      eventType: 'order.paid',
      payload: { n },
      idempotencyKey: 'order-1',
    });
    await publish(copy(1), fromShop());
    await eventually(() => (intake.messages.held ? true : undefined), {
      what: 'the first copy being written',
    });
    await publish(copy(2), fromShop());
    await eventually(
      async () =>
        (await publishing.checkQueue(INTAKE_QUEUE)).messageCount === 0 ? true : undefined,
      { what: 'the second copy taken off the queue' },
    );
    // Time for a batch of the second copy alone to be stored, if it did not wait for the first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    intake.messages.release();

    await eventually(() => (intake.messages.inserts === 2 ? true : undefined), {
      what: 'both copies written',
    });
    const stored = await mongo.collection('messages').find({}).toArray();
    expect(stored.map((m) => m.payload)).toEqual([{ n: 1 }]);
    await stopIntake(intake);
    expect(await leftInIntake()).toEqual([]);
  });

  it('gathers what arrives while a batch is being stored into the next batch, not into batches of their own', async () => {
    const intake = await startIntake();
    intake.messages.holdFirstInsertOf('first');
    const paid = (idempotencyKey: string) => ({
      eventType: 'order.paid',
      payload: {},
      idempotencyKey,
    });
    await publish(paid('first'), fromShop());
    await eventually(() => (intake.messages.held ? true : undefined), {
      what: 'the first batch being written',
    });
    // Each confirmed before the next is sent: three reads of one message each.
    for (const key of ['second', 'third', 'fourth']) await publish(paid(key), fromShop());
    await eventually(() => (intake.consumer.waiting === 3 ? true : undefined), {
      what: 'the three later messages taken off the queue and waiting',
    });
    expect(intake.messages.inserts).toBe(1);
    intake.messages.release();

    await eventually(async () => ((await storedKeys()).length === 4 ? true : undefined), {
      what: 'four messages stored',
    });
    expect(intake.messages.inserts).toBe(2);
    await stopIntake(intake);
    expect(await leftInIntake()).toEqual([]);
  });

  it('dead-letters what it will not take with x-error, and stores and acknowledges the rest of the batch', async () => {
    await publish({ eventType: 'order.paid', payload: {}, idempotencyKey: 'ok-1' }, fromShop());
    await publish(Buffer.from('not json {'), fromShop({ messageId: 'garbage' }));
    await publish({ payload: {} }, fromShop({ messageId: 'no-event-type' }));
    await publish({ eventType: 'order.paid', payload: {} }, { messageId: 'no-app' });
    await publish(
      { eventType: 'order.paid', payload: {} },
      { messageId: 'unknown-app', headers: { [HEADER_APP_ID]: 'app_nobody' } },
    );
    await publish(
      Buffer.from(`{"eventType":"order.paid","payload":"${'x'.repeat(OVERSIZED_BYTES)}"}`),
      fromShop({ messageId: 'oversized' }),
    );
    // Another tenant's broker user publishing for an app bound to its own.
    await publish(
      { eventType: 'order.paid', payload: {} },
      { messageId: 'impostor', userId: 'guest', headers: { [HEADER_APP_ID]: 'app_bound' } },
    );
    await publish({ eventType: 'order.paid', payload: {}, idempotencyKey: 'ok-2' }, fromShop());
    const intake = await startIntake();

    const dead = await deadLettersUntil(6, 'six dead-letter copies');
    const reasons = Object.fromEntries(
      dead.map((copy) => [
        copy.properties.messageId,
        String(copy.properties.headers?.[HEADER_ERROR]),
      ]),
    );
    expect(reasons).toEqual({
      garbage: expect.stringMatching(/^the body is not JSON/),
      'no-event-type': expect.stringMatching(/^the body does not match the contract: eventType/),
      'no-app': "header x-app-id is required (the app's id)",
      'unknown-app': 'unknown app app_nobody (header x-app-id)',
      oversized: expect.stringMatching(
        /^the body is \d+ bytes, more than the 262144 bytes accepted$/,
      ),
      impostor: expect.stringMatching(
        /^app app_bound accepts AMQP messages only from broker user "bound-publisher"/,
      ),
    });
    // The oversized copy keeps its first 4 KiB and says how large it was; the others are whole.
    const oversized = dead.find((copy) => copy.properties.messageId === 'oversized')!;
    expect(oversized.content).toHaveLength(4 * 1024);
    expect(oversized.properties.headers?.[HEADER_ORIGINAL_SIZE]).toBeGreaterThan(OVERSIZED_BYTES);
    expect(dead.find((copy) => copy.properties.messageId === 'garbage')!.content.toString()).toBe(
      'not json {',
    );

    await eventually(async () => ((await storedKeys()).length === 2 ? true : undefined));
    expect(await storedKeys()).toEqual(['ok-1', 'ok-2']);
    await stopIntake(intake);
    expect(await leftInIntake()).toEqual([]);
  });

  it('finds a message MongoDB refuses by storing its batch one at a time: only it is dead-lettered, the rest stored', async () => {
    for (const key of ['p0', 'p1', 'p2']) {
      await publish(
        { eventType: 'order.paid', payload: {}, idempotencyKey: key },
        fromShop({ messageId: key }),
      );
    }
    const intake = await startIntake(mongo, undefined, (messages) => messages.spoil('p1'));

    const dead = await deadLettersUntil(1, 'the refused message dead-lettered');
    expect(dead.map((copy) => copy.properties.messageId)).toEqual(['p1']);
    expect(String(dead[0]!.properties.headers?.[HEADER_ERROR])).toMatch(
      /^the message cannot be stored: .*nested/,
    );
    await eventually(async () => ((await storedKeys()).length === 2 ? true : undefined), {
      what: 'the other two stored',
    });
    expect(await storedKeys()).toEqual(['p0', 'p2']);
    await stopIntake(intake);
    expect(await leftInIntake()).toEqual([]);
    expect(await drainDeadLetters()).toEqual([]);
  });

  it('acknowledges nothing while MongoDB refuses the write; the broker redelivers it all, then it is stored', async () => {
    for (let i = 0; i < 3; i++) {
      await publish({ eventType: 'order.paid', payload: {}, idempotencyKey: `r${i}` }, fromShop());
    }
    const failing = await startIntake(down);

    // Tried, failed, tried again: the batch is in hand, and nothing is stored or handed on.
    await eventually(() => (failing.messages.inserts >= 2 ? true : undefined), {
      what: 'a second try to store',
    });
    expect(await storedKeys()).toEqual([]);
    expect(failing.dispatcher.dispatched).toEqual([]);

    // Shut down while MongoDB is away: none was acknowledged, so the broker delivers all three
    // again, to the next intake, which stores them. None was dead-lettered.
    await stopIntake(failing);
    const healthy = await startIntake();
    await eventually(async () => ((await storedKeys()).length === 3 ? true : undefined), {
      what: 'the redelivered messages stored',
    });
    expect(await storedKeys()).toEqual(['r0', 'r1', 'r2']);
    expect(await drainDeadLetters()).toEqual([]);
    await stopIntake(healthy);
    expect(await leftInIntake()).toEqual([]);
  });

  it('acknowledges a message it minted the id for only once a majority holds it and its delivery', async () => {
    let held: HeldConfirmation | undefined;
    const intake = await startIntake(mongo, (...repositories) => {
      held = new HeldConfirmation(...repositories);
      return held;
    });
    await publish({ eventType: 'order.paid', payload: { n: 1 } }, fromShop());

    // Stored and handed on to be attempted at once, while its confirmation is held.
    await eventually(() => (held!.asked.length > 0 ? true : undefined), {
      what: 'a confirmation asked for',
    });
    const [{ messageIds, deliveryIds }] = held!.asked as [Unconfirmed];
    expect(intake.dispatcher.dispatched.flatMap((d) => d.deliveries.map((x) => x._id))).toEqual(
      deliveryIds,
    );
    expect(await mongo.collection('messages').countDocuments({ _id: messageIds[0] } as never)).toBe(
      1,
    );

    // The process dies before the confirmation: the message was not acknowledged.
    running.splice(running.indexOf(intake), 1);
    await intake.crash();
    expect(await leftInIntake()).toEqual([
      JSON.stringify({ eventType: 'order.paid', payload: { n: 1 } }),
    ]);
    held!.release();
  });

  it('stores a message lost before its confirmation again under the same id, then acknowledges it', async () => {
    let losing: LosingConfirmation | undefined;
    const intake = await startIntake(mongo, (...repositories) => {
      losing = new LosingConfirmation(...repositories, mongo);
      return losing;
    });
    await publish({ eventType: 'order.paid', payload: { n: 2 } }, fromShop());

    // Handed on to be attempted under its minted id; then both writes are lost.
    await eventually(() => (losing!.lost.length > 0 ? true : undefined), {
      what: 'the writes lost',
    });
    const [minted] = intake.dispatcher.dispatched[0]!.deliveries.map((d) => d.messageId);
    expect(losing!.lost).toEqual([minted]);

    // Stored again under that id, its delivery with it, and acknowledged.
    await eventually(
      async () =>
        (await mongo.collection('deliveries').countDocuments()) === 1 ? true : undefined,
      { what: 'the delivery written again' },
    );
    const messages = await mongo.collection('messages').find({}).toArray();
    expect(messages.map((m) => m._id)).toEqual([minted]);
    const [delivery] = await mongo.collection('deliveries').find({}).toArray();
    expect(delivery).toMatchObject({ messageId: minted, endpointId: 'ep_shop', status: 'pending' });
    await stopIntake(intake);
    expect(await leftInIntake()).toEqual([]);
  });

  /**
   * What is left in the intake queue once no intake runs: a message delivered and not
   * acknowledged is back in it by then, ahead of a marker published now (RabbitMQ serves what
   * returns before newer messages), so whatever comes before the marker was never acknowledged.
   */
  async function leftInIntake(): Promise<string[]> {
    const marker = `marker-${randomBytes(4).toString('hex')}`;
    await publish({}, { messageId: marker });
    const left: string[] = [];
    for (;;) {
      const message = await eventually(async () => {
        const got = await takeOne(publishing, INTAKE_QUEUE, { noAck: true });
        return got === false ? undefined : got;
      });
      if (message.properties.messageId === marker) return left;
      left.push(message.content.toString().slice(0, 100));
    }
  }

  /** The dead-letter copies taken off their queue until at least `count` came. */
  async function deadLettersUntil(count: number, what: string): Promise<GetMessage[]> {
    const dead: GetMessage[] = [];
    await eventually(
      async () => {
        dead.push(...(await drainDeadLetters()));
        return dead.length >= count ? true : undefined;
      },
      { what },
    );
    return dead;
  }

  async function drainDeadLetters(): Promise<GetMessage[]> {
    const copies: GetMessage[] = [];
    for (;;) {
      const copy = await publishing.get(DEAD_LETTER_QUEUE, { noAck: true });
      if (copy === false) return copies;
      copies.push(copy);
    }
  }
});

/** Holds every confirmation until released, then says held. */
class HeldConfirmation extends IntakeConfirmation {
  readonly asked: Unconfirmed[] = [];
  private releaseAll: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => (this.releaseAll = resolve));

  release(): void {
    this.releaseAll();
  }

  override async confirm(unconfirmed: Unconfirmed): Promise<boolean> {
    this.asked.push(unconfirmed);
    await this.released;
    return true;
  }
}

/**
 * The real confirmation, once the first messages it is asked about and their deliveries are
 * deleted from `db` (as a failover's rollback would leave them).
 */
class LosingConfirmation extends IntakeConfirmation {
  readonly lost: string[] = [];

  constructor(
    messages: MessageRepository,
    deliveries: DeliveryRepository,
    private readonly db: Connection,
  ) {
    super(messages, deliveries);
  }

  override async confirm(unconfirmed: Unconfirmed): Promise<boolean> {
    const { messageIds, deliveryIds } = unconfirmed;
    if (this.lost.length === 0 && messageIds.length > 0) {
      await this.db.collection('messages').deleteMany({ _id: { $in: messageIds } } as never);
      await this.db.collection('deliveries').deleteMany({ _id: { $in: deliveryIds } } as never);
      this.lost.push(...messageIds);
    }
    return super.confirm(unconfirmed);
  }
}

function app(id: string): AppEntity {
  return { _id: id, name: id, apiKeyHash: `hash_${id}`, createdAt: T0 };
}

function endpoint(id: string, appId: string): EndpointEntity {
  return {
    _id: id,
    appId,
    channel: 'webhook',
    url: `https://shop.test/${id}`,
    eventTypes: ['*'],
    timeoutMs: 10_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [{ secret: 'whsec_test' }],
    recipientTokenHash: `hash_${id}`,
    createdAt: T0,
    updatedAt: T0,
  };
}
