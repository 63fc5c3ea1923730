import type { Connection } from 'mongoose';
import { SystemClock } from '@app/common';
import type { NotifierConfig } from '@app/config';
import {
  AttemptRepository,
  DeliveryRepository,
  EndpointCircuitRepository,
  EndpointHealthRepository,
  EndpointRepository,
  MessageRepository,
  openConnection,
  type AttemptEntity,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
  OrderingKeyRepository,
  type OrderingKeyEntity,
  StatusRefreshRepository,
  type StatusRefreshEntity,
} from '@app/dal';
import { eventually } from '../../../../test/support/eventually';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { CircuitBreaker } from '../isolation/circuit-breaker';
import { OutcomeEvents } from '../platform-events/outcome-events';
import { PlatformEvents } from '../platform-events/platform-events';
import { EndpointCache } from '../store-messages/endpoint-cache';
import type { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import { FallbackDeliveries } from './fallback-deliveries';
import { KeyHandOff } from './key-hand-off';
import { MessageStatusRefresh } from './message-status-refresh';
import { FLUSH_DELAY_MS, OutcomeWriter } from './outcome-writer';
import type { PlannedOutcome } from './plan-outcome';
import { RecordOutcomesUseCase } from './record-outcomes.usecase';

const T0 = new Date('2026-11-26T08:00:00.000Z');

/** The attempt log's write fails once, as a MongoDB write can, after the others went through. */
class AttemptsFailingOnce extends AttemptRepository {
  private failed = false;

  override async insertMany(attempts: AttemptEntity[]): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new Error('WriteConcernError: waiting for replication timed out');
    }
    await super.insertMany(attempts);
  }
}

/** Writes down the order in which the outcome writes and the owed refreshes were made. */
class OrderedWrites {
  readonly order: string[] = [];
  readonly deliveries: DeliveryRepository;
  readonly owed: StatusRefreshRepository;

  constructor(connection: Connection) {
    const order = this.order;
    this.deliveries = new (class extends DeliveryRepository {
      override async recordOutcomes(
        outcomes: Parameters<DeliveryRepository['recordOutcomes']>[0],
      ): Promise<void> {
        order.push('outcomes issued');
        await super.recordOutcomes(outcomes);
      }
    })(connection.model<DeliveryEntity>('Delivery'));
    this.owed = new (class extends StatusRefreshRepository {
      override async owe(
        ...args: Parameters<StatusRefreshRepository['owe']>
      ): Promise<StatusRefreshEntity> {
        const owed = await super.owe(...args);
        order.push(`owed ${owed.messageIds.join(',')}`);
        return owed;
      }
    })(connection.model<StatusRefreshEntity>('StatusRefresh'));
  }
}

/**
 * Writes down when each batch's attempt log is issued and what it holds; the first batch's write
 * waits for `releaseFirst`.
 */
class RecordedBatches extends AttemptRepository {
  readonly batches: { issuedAt: number; deliveryIds: string[] }[] = [];
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  constructor(connection: Connection) {
    super(connection.model<AttemptEntity>('Attempt'), connection.model<MessageEntity>('Message'));
  }

  releaseFirst(): void {
    this.release();
  }

  /** Resolves once `count` batches were issued (the times asserted on are taken as each is). */
  issued(count: number): Promise<true> {
    return eventually(() => (this.batches.length >= count ? true : undefined));
  }

  override async insertMany(attempts: AttemptEntity[]): Promise<void> {
    this.batches.push({
      issuedAt: performance.now(),
      deliveryIds: attempts.map((attempt) => attempt.deliveryId),
    });
    if (this.batches.length === 1) await this.released;
    await super.insertMany(attempts);
  }
}

/**
 * A writer on `connection` with its real collaborators, writing the attempt log with `attempts`
 * and, when given, the deliveries and the owed refreshes with `writes`.
 */
function writerOn(
  connection: Connection,
  attempts: AttemptRepository,
  writes?: OrderedWrites,
): OutcomeWriter {
  const deliveryModel = connection.model<DeliveryEntity>('Delivery');
  const endpointModel = connection.model<EndpointEntity>('Endpoint');
  const deliveries = writes?.deliveries ?? new DeliveryRepository(deliveryModel);
  const endpoints = new EndpointRepository(endpointModel);
  const messages = new MessageRepository(connection.model<MessageEntity>('Message'), deliveryModel);
  const owed =
    writes?.owed ??
    new StatusRefreshRepository(connection.model<StatusRefreshEntity>('StatusRefresh'));
  const clock = new SystemClock();
  const config = {
    circuitBreaker: {
      openAfterFailures: 1_000,
      cooldownMs: 30_000,
      maxCooldownMs: 60_000,
      disableAfterFailures: 1_000,
      disableAfterMs: 86_400_000,
    },
  } as NotifierConfig;
  const circuit = new CircuitBreaker(
    new EndpointCircuitRepository(endpointModel),
    deliveries,
    clock,
    config,
  );
  // Its outcomes carry no attempt context, so they raise no platform event: nothing is stored.
  const platformEvents = new PlatformEvents(
    new EndpointCache(endpoints),
    {} as StoreMessagesUseCase,
  );
  const statuses = new MessageStatusRefresh(messages, owed);
  const recordOutcomes = new RecordOutcomesUseCase(
    deliveries,
    attempts,
    new EndpointHealthRepository(endpointModel),
    statuses,
    new FallbackDeliveries(deliveries, endpoints, messages, clock),
    circuit,
    new OutcomeEvents(circuit, platformEvents),
    new KeyHandOff(
      new OrderingKeyRepository(connection.model<OrderingKeyEntity>('OrderingKey'), deliveryModel),
      clock,
    ),
    owed,
    clock,
  );
  return new OutcomeWriter(recordOutcomes, statuses);
}

describe('OutcomeWriter and RecordOutcomesUseCase (real MongoDB)', () => {
  let connection: Connection;
  let writer: OutcomeWriter;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_outcomes'));
    writer = writerOn(
      connection,
      new AttemptsFailingOnce(
        connection.model<AttemptEntity>('Attempt'),
        connection.model<MessageEntity>('Message'),
      ),
    );
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  /** A writer whose attempt log is written the first time. */
  const healthyWriter = (writes?: OrderedWrites) =>
    writerOn(
      connection,
      new AttemptRepository(
        connection.model<AttemptEntity>('Attempt'),
        connection.model<MessageEntity>('Message'),
      ),
      writes,
    );

  it('counts the failed attempt once in the endpoint health, after a partial write', async () => {
    await connection.collection('endpoints').insertOne({
      _id: 'ep_1',
      appId: 'app_1',
      channel: 'webhook',
      url: 'https://shop.test/hook',
      enabled: true,
      consecutiveFailures: 0,
    } as never);
    await connection.collection('deliveries').insertOne({
      _id: 'dlv_1',
      appId: 'app_1',
      messageId: 'msg_1',
      endpointId: 'ep_1',
      channel: 'webhook',
      status: 'pending',
      attemptCount: 0,
      nextAttemptAt: T0,
      lastAttemptAt: null,
      lastError: null,
      deliveredAt: null,
      claimToken: 'claim_1',
      createdAt: T0,
      updatedAt: T0,
    } as never);
    const at = new Date();
    const outcome: PlannedOutcome = {
      appId: 'app_1',
      deliveryId: 'dlv_1',
      messageId: 'msg_1',
      endpointId: 'ep_1',
      update: {
        status: 'pending',
        attemptCount: 1,
        nextAttemptAt: new Date(at.getTime() + 60_000),
        lastAttemptAt: at,
        lastError: 'HTTP 500',
        deliveredAt: null,
        updatedAt: at,
      },
      attempt: {
        _id: 'att_1',
        appId: 'app_1',
        messageId: 'msg_1',
        deliveryId: 'dlv_1',
        endpointId: 'ep_1',
        attempt: 1,
        startedAt: at,
        durationMs: 12,
        outcome: 'failed',
        statusCode: 500,
        error: 'HTTP 500',
      },
      health: { endpointId: 'ep_1', at, succeeded: false },
      terminal: false,
    };

    writer.add(outcome, 'claim_1');
    // The first write fails on the attempt log after the health and the delivery went through;
    // drain returns once the batch has been written again.
    expect(await writer.drain(10_000)).toBe(true);

    expect(await connection.collection('attempts').countDocuments({ deliveryId: 'dlv_1' })).toBe(1);
    expect(
      await connection.collection('deliveries').findOne({ _id: 'dlv_1' as never }),
    ).toMatchObject({ attemptCount: 1, claimToken: null });
    expect(
      await connection.collection('endpoints').findOne({ _id: 'ep_1' as never }),
    ).toMatchObject({
      consecutiveFailures: 1,
      failingSince: at,
    });
  });

  it('writes what ends a delivery through to its message: a fallback first, then the status; a lost claim changes nothing', async () => {
    const healthy = healthyWriter();
    await connection
      .collection('endpoints')
      .insertMany([
        { ...webhook('ep_primary'), fallbackEndpointId: 'ep_backup' },
        webhook('ep_backup'),
        webhook('ep_other'),
      ] as never[]);
    await connection
      .collection('messages')
      .insertMany([
        message('msg_a', 'ep_primary'),
        message('msg_b', 'ep_other'),
        message('msg_c', 'ep_other'),
      ] as never[]);
    await connection.collection('deliveries').insertMany([
      claimedDelivery('dlv_a', 'msg_a', 'ep_primary', 'claim_2'),
      claimedDelivery('dlv_b', 'msg_b', 'ep_other', 'claim_2'),
      // Its lease expired during the attempt and another notifier claimed it: not ours to end.
      claimedDelivery('dlv_c', 'msg_c', 'ep_other', 'claim_newer'),
    ] as never[]);

    healthy.add(ending('dlv_a', 'msg_a', 'ep_primary', 'failed'), 'claim_2');
    healthy.add(ending('dlv_b', 'msg_b', 'ep_other', 'succeeded'), 'claim_2');
    healthy.add(ending('dlv_c', 'msg_c', 'ep_other', 'succeeded'), 'claim_2');
    expect(await healthy.drain(10_000)).toBe(true);

    const deliveries = connection.collection('deliveries');
    const messages = connection.collection('messages');
    expect(await deliveries.findOne({ _id: 'dlv_a' as never })).toMatchObject({
      status: 'failed',
      claimToken: null,
    });
    // The failed one's fallback is due now, and keeps its message pending.
    const fallback = await deliveries.findOne({ fallbackFor: 'dlv_a' });
    expect(fallback).toMatchObject({
      endpointId: 'ep_backup',
      status: 'pending',
      claimToken: null,
    });
    expect(fallback!.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await messages.findOne({ _id: 'msg_a' as never })).toMatchObject({
      status: 'pending',
      targetEndpointIds: ['ep_primary', 'ep_backup'],
    });
    expect(await messages.findOne({ _id: 'msg_b' as never })).toMatchObject({
      status: 'delivered',
    });
    // Refreshed: nothing is owed any more.
    expect(await connection.collection('status_refreshes').countDocuments()).toBe(0);
    // The newer claim's state stands.
    expect(await deliveries.findOne({ _id: 'dlv_c' as never })).toMatchObject({
      status: 'pending',
      claimToken: 'claim_newer',
      attemptCount: 0,
    });
    expect(await messages.findOne({ _id: 'msg_c' as never })).toMatchObject({ status: 'pending' });
  });

  it('owes the status refresh before the outcomes that end deliveries land, and settles it after', async () => {
    const writes = new OrderedWrites(connection);
    const ordered = healthyWriter(writes);
    await connection.collection('endpoints').insertOne(webhook('ep_owed') as never);
    await connection
      .collection('messages')
      .insertMany([message('msg_owed', 'ep_owed'), message('msg_retried', 'ep_owed')] as never[]);
    await connection
      .collection('deliveries')
      .insertMany([
        claimedDelivery('dlv_owed', 'msg_owed', 'ep_owed', 'claim_4'),
        claimedDelivery('dlv_retried', 'msg_retried', 'ep_owed', 'claim_4'),
      ] as never[]);

    ordered.add(ending('dlv_owed', 'msg_owed', 'ep_owed', 'succeeded'), 'claim_4');
    ordered.add(retried('dlv_retried', 'msg_retried', 'ep_owed'), 'claim_4');
    expect(await ordered.drain(10_000)).toBe(true);

    // A crash right after the outcomes would leave the refresh owed, for the repair; the
    // delivery that will be attempted again owes its message nothing.
    expect(writes.order).toEqual(['owed msg_owed', 'outcomes issued']);
    expect(await connection.collection('status_refreshes').countDocuments()).toBe(0);
    expect(
      await connection.collection('messages').findOne({ _id: 'msg_owed' as never }),
    ).toMatchObject({ status: 'delivered' });
  });

  it('waits for more outcomes after a batch, from the oldest one, instead of writing the next batch at once', async () => {
    const recorded = new RecordedBatches(connection);
    const batching = writerOn(connection, recorded);
    await connection.collection('endpoints').insertOne(webhook('ep_batched') as never);
    await connection
      .collection('messages')
      .insertMany(
        ['msg_b1', 'msg_b2', 'msg_b3', 'msg_b4'].map((id) => message(id, 'ep_batched')) as never[],
      );
    await connection
      .collection('deliveries')
      .insertMany(
        ['1', '2', '3', '4'].map((n) =>
          claimedDelivery(`dlv_b${n}`, `msg_b${n}`, 'ep_batched', 'claim_6'),
        ) as never[],
      );

    batching.add(retried('dlv_b1', 'msg_b1', 'ep_batched'), 'claim_6');
    await recorded.issued(1);
    // Added while the first batch is being written: it waits for others, though the write ends
    // long before it is due.
    const addedAt = performance.now();
    batching.add(retried('dlv_b2', 'msg_b2', 'ep_batched'), 'claim_6');
    recorded.releaseFirst();
    await recorded.issued(2);
    expect(await batching.drain(10_000)).toBe(true);

    expect(recorded.batches.map((batch) => batch.deliveryIds)).toEqual([['dlv_b1'], ['dlv_b2']]);
    // A timer may fire up to a few ms before performance.now() says it is due.
    expect(recorded.batches[1]!.issuedAt - addedAt).toBeGreaterThanOrEqual(FLUSH_DELAY_MS - 10);

    // An ordered delivery's outcome does not wait as long: its key's next message waits for it.
    const orderedAt = performance.now();
    batching.add(retried('dlv_b3', 'msg_b3', 'ep_batched'), 'claim_6');
    batching.add(
      {
        ...ending('dlv_b4', 'msg_b4', 'ep_batched', 'succeeded'),
        ordering: { key: 'order-7', sequence: 1, blockOnFailure: false },
      },
      'claim_6',
    );
    await recorded.issued(3);
    expect(recorded.batches[2]).toMatchObject({ deliveryIds: ['dlv_b3', 'dlv_b4'] });
    expect(recorded.batches[2]!.issuedAt - orderedAt).toBeLessThan(FLUSH_DELAY_MS - 10);
    expect(await batching.drain(10_000)).toBe(true);
  });

  it('tells its listeners when the statuses it left are refreshed: the backlog they count shrank', async () => {
    const healthy = healthyWriter();
    await connection.collection('endpoints').insertOne(webhook('ep_told') as never);
    await connection.collection('messages').insertOne(message('msg_told', 'ep_told') as never);
    await connection
      .collection('deliveries')
      .insertOne(claimedDelivery('dlv_told', 'msg_told', 'ep_told', 'claim_3') as never);
    const backlogs: number[] = [];
    healthy.onWritten(() => backlogs.push(healthy.backlog));

    healthy.add(ending('dlv_told', 'msg_told', 'ep_told', 'succeeded'), 'claim_3');
    expect(await healthy.drain(10_000)).toBe(true);

    // After the batch's write its message's status was still to refresh; after the refresh,
    // nothing.
    expect(backlogs[0]).toBe(1);
    expect(backlogs.at(-1)).toBe(0);
    expect(
      await connection.collection('messages').findOne({ _id: 'msg_told' as never }),
    ).toMatchObject({ status: 'delivered' });
  });
});

function webhook(id: string): Partial<EndpointEntity> {
  return {
    _id: id,
    appId: 'app_1',
    channel: 'webhook',
    url: `https://shop.test/${id}`,
    enabled: true,
    consecutiveFailures: 0,
    recipientTokenHash: `hash_${id}`,
  };
}

function message(id: string, endpointId: string): MessageEntity {
  return {
    _id: id,
    appId: 'app_1',
    eventType: 'order.paid',
    payload: {},
    targetEndpointIds: [endpointId],
    status: 'pending',
    createdAt: T0,
  };
}

function claimedDelivery(
  id: string,
  messageId: string,
  endpointId: string,
  claimToken: string,
): DeliveryEntity {
  return {
    _id: id,
    appId: 'app_1',
    messageId,
    endpointId,
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: new Date(Date.now() + 90_000),
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken,
    createdAt: T0,
    updatedAt: T0,
  };
}

/** A failed attempt of a delivery that is tried again later. */
function retried(deliveryId: string, messageId: string, endpointId: string): PlannedOutcome {
  const last = ending(deliveryId, messageId, endpointId, 'failed');
  return {
    ...last,
    update: { ...last.update, status: 'pending', nextAttemptAt: new Date(Date.now() + 60_000) },
    terminal: false,
  };
}

/** The last attempt of a delivery: it ends `status`. */
function ending(
  deliveryId: string,
  messageId: string,
  endpointId: string,
  status: 'succeeded' | 'failed',
): PlannedOutcome {
  const at = new Date();
  const failed = status === 'failed';
  return {
    appId: 'app_1',
    deliveryId,
    messageId,
    endpointId,
    update: {
      status,
      attemptCount: 1,
      nextAttemptAt: null,
      lastAttemptAt: at,
      lastError: failed ? 'HTTP 410' : null,
      deliveredAt: failed ? null : at,
      updatedAt: at,
    },
    attempt: {
      _id: `att_${deliveryId}`,
      appId: 'app_1',
      messageId,
      deliveryId,
      endpointId,
      attempt: 1,
      startedAt: at,
      durationMs: 5,
      outcome: failed ? 'failed' : 'succeeded',
      statusCode: failed ? 410 : 200,
      error: failed ? 'HTTP 410' : undefined,
    },
    health: { endpointId, at, succeeded: !failed },
    terminal: true,
  };
}
