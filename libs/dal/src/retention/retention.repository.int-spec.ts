import type { DeliveryStatus, MessageStatus } from '@app/contracts';
import type { Connection } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import type { AttemptEntity } from '../attempts/attempt.entity';
import { openConnection } from '../connection';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import type { MessageEntity } from '../messages/message.entity';
import { RetentionRepository } from './retention.repository';

const CUTOFF = new Date('2026-11-01T00:00:00.000Z');
const before = (days: number) => new Date(CUTOFF.getTime() - days * 86_400_000);
const after = (days: number) => new Date(CUTOFF.getTime() + days * 86_400_000);

describe('RetentionRepository.removeEnded (real MongoDB)', () => {
  let connection: Connection;
  let retention: RetentionRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_retention'));
    retention = new RetentionRepository(
      connection.model<MessageEntity>('Message'),
      connection.model<DeliveryEntity>('Delivery'),
      connection.model<AttemptEntity>('Attempt'),
    );
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  async function seed(
    id: string,
    status: MessageStatus,
    createdAt: Date,
    deliveries: { status: DeliveryStatus; updatedAt: Date }[],
  ): Promise<void> {
    await connection.model('Message').create({
      _id: id,
      appId: 'app_1',
      eventType: 'e',
      payload: {},
      targetEndpointIds: [],
      status,
      createdAt,
    });
    for (const [index, delivery] of deliveries.entries()) {
      await connection.model('Delivery').create({
        _id: `${id}_d${index}`,
        appId: 'app_1',
        messageId: id,
        endpointId: `ep_${index}`,
        channel: 'webhook',
        status: delivery.status,
        attemptCount: 1,
        createdAt,
        updatedAt: delivery.updatedAt,
      });
      await connection.model('Attempt').create({
        _id: `${id}_a${index}`,
        appId: 'app_1',
        messageId: id,
        deliveryId: `${id}_d${index}`,
        endpointId: `ep_${index}`,
        attempt: 1,
        startedAt: createdAt,
        durationMs: 5,
        outcome: 'succeeded',
      });
    }
  }

  const count = (model: string, messageId: string) =>
    connection.model(model).countDocuments({ messageId });
  const exists = async (id: string) =>
    (await connection.model('Message').countDocuments({ _id: id })) === 1;

  it('removes ended messages older than the cutoff with their deliveries and attempts, and keeps the rest', async () => {
    await seed('old_delivered', 'delivered', before(3), [
      { status: 'succeeded', updatedAt: before(3) },
      { status: 'cancelled', updatedAt: before(2) },
    ]);
    await seed('old_failed', 'failed', before(2), [{ status: 'failed', updatedAt: before(1) }]);
    await seed('old_unrouted', 'no_endpoints', before(5), []);
    await seed('old_pending', 'pending', before(4), [{ status: 'pending', updatedAt: before(4) }]);
    // Its status says ended, but a delivery is pending again (a redelivery under way).
    await seed('old_stale', 'delivered', before(4), [
      { status: 'succeeded', updatedAt: before(4) },
      { status: 'pending', updatedAt: before(4) },
    ]);
    // Old, but one of its deliveries ended after the cutoff (redelivered lately).
    await seed('old_recent_delivery', 'failed', before(6), [
      { status: 'failed', updatedAt: after(1) },
    ]);
    await seed('new_delivered', 'delivered', after(1), [
      { status: 'succeeded', updatedAt: after(1) },
    ]);

    // Two at a time: the walk goes on past messages it keeps.
    let batch = await retention.removeEnded(CUTOFF, 2);
    let removed = batch.removed;
    while (batch.next !== undefined) {
      batch = await retention.removeEnded(CUTOFF, 2, batch.next);
      removed += batch.removed;
    }

    expect(removed).toBe(3);
    for (const gone of ['old_delivered', 'old_failed', 'old_unrouted']) {
      expect({ gone, exists: await exists(gone) }).toEqual({ gone, exists: false });
      expect(await count('Delivery', gone)).toBe(0);
      expect(await count('Attempt', gone)).toBe(0);
    }
    for (const kept of ['old_pending', 'old_stale', 'old_recent_delivery', 'new_delivered']) {
      expect({ kept, exists: await exists(kept) }).toEqual({ kept, exists: true });
      expect(await count('Attempt', kept)).toBeGreaterThan(0);
    }
    expect(await count('Delivery', 'old_stale')).toBe(2);
    expect(await retention.removeEnded(CUTOFF, 2)).toMatchObject({ removed: 0 });
  });
});
