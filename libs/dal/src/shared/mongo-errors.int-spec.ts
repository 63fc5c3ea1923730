import type { Connection } from 'mongoose';
import { nestedObject } from '../../../../test/support/nested-object';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import type { MessageEntity } from '../messages/message.entity';
import { MessageRepository } from '../messages/message.repository';
import { isPermanentStoreError } from './mongo-errors';

const message = (id: string, payload: Record<string, unknown>): MessageEntity => ({
  _id: id,
  appId: 'app_1',
  eventType: 'order.paid',
  payload,
  targetEndpointIds: [],
  status: 'pending',
  createdAt: new Date('2026-12-07T08:00:00.000Z'),
});

/**
 * The errors a message that can never be stored meets, as the real driver and server raise them
 * through the repository intake writes with: each must read as permanent, or intake would retry
 * its batch forever (AcceptedMessages).
 */
describe('isPermanentStoreError on the real refusals (real MongoDB)', () => {
  let connection: Connection;
  let messages: MessageRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_mongo_errors'));
    messages = new MessageRepository(
      connection.model<MessageEntity>('Message'),
      connection.model<DeliveryEntity>('Delivery'),
    );
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it.each([
    ['a key the driver cannot encode (a NUL in it)', { 'a\u0000b': 1 }],
    ['a payload nested deeper than MongoDB takes', nestedObject(200)],
  ])('reads as permanent: %s', async (_what, payload) => {
    const refusal: unknown = await messages
      .insertMany([message('msg_ok', { ok: true }), message('msg_refused', payload)])
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(refusal).toBeDefined();
    expect(isPermanentStoreError(refusal)).toBe(true);
  });
});
