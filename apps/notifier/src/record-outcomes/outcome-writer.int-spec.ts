import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { SystemClock } from '@app/common';
import type { NotifierConfig } from '@app/config';
import {
  AttemptRepository,
  DeliveryRepository,
  EndpointCircuitRepository,
  EndpointRepository,
  MessageRepository,
  openConnection,
  type AttemptEntity,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';
import { CircuitBreaker } from '../isolation/circuit-breaker';
import { OutcomeEvents } from '../platform-events/outcome-events';
import { PlatformEvents } from '../platform-events/platform-events';
import { EndpointCache } from '../store-messages/endpoint-cache';
import type { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import { FallbackDeliveries } from './fallback-deliveries';
import { OutcomeWriter } from './outcome-writer';
import type { PlannedOutcome } from './plan-outcome';

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

describe('OutcomeWriter: a batch written again after a partial write (real MongoDB)', () => {
  let connection: Connection;
  let writer: OutcomeWriter;

  beforeAll(async () => {
    // eslint-disable-next-line no-restricted-properties -- the e2e global setup provides the test MongoDB
    const url = new URL(process.env.MONGODB_URI!);
    url.pathname = `/test_outcomes_${randomBytes(4).toString('hex')}`;
    connection = await openConnection(url.toString());
    const deliveryModel = connection.model<DeliveryEntity>('Delivery');
    const endpointModel = connection.model<EndpointEntity>('Endpoint');
    const deliveries = new DeliveryRepository(deliveryModel);
    const endpoints = new EndpointRepository(endpointModel);
    const messages = new MessageRepository(
      connection.model<MessageEntity>('Message'),
      deliveryModel,
    );
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
    writer = new OutcomeWriter(
      deliveries,
      new AttemptsFailingOnce(
        connection.model<AttemptEntity>('Attempt'),
        connection.model<MessageEntity>('Message'),
      ),
      endpoints,
      messages,
      new FallbackDeliveries(deliveries, endpoints, messages, clock),
      circuit,
      new OutcomeEvents(circuit, platformEvents),
    );
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('counts the failed attempt once in the endpoint health', async () => {
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
});
