import type { Connection, Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { DeliveryEntity } from './delivery.entity';
import { DeliveryClaimRepository } from './delivery-claim.repository';
import { DeliveryRedeliveryRepository } from './delivery-redelivery.repository';
import { DeliveryRepository } from './delivery.repository';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function claimed(id: string, claimToken = 'claim_1'): DeliveryEntity {
  return {
    _id: id,
    appId: 'app_1',
    messageId: `msg_${id}`,
    endpointId: 'ep_1',
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: at(90_000),
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken,
    createdAt: T0,
    updatedAt: T0,
  };
}

/** The "attempt started" marker that poison detection counts on (AttemptStarts). */
describe('attempt start markers (real MongoDB)', () => {
  let connection: Connection;
  let deliveries: Model<DeliveryEntity>;
  let repository: DeliveryRepository;
  let claims: DeliveryClaimRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_markers'));
    deliveries = connection.model<DeliveryEntity>('Delivery');
    repository = new DeliveryRepository(deliveries);
    claims = new DeliveryClaimRepository(deliveries);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(() => deliveries.deleteMany({}));

  const find = (id: string) => deliveries.findById(id).lean<DeliveryEntity>().exec();

  it('marks started and counts abandoned in one write, fenced on the claim', async () => {
    await deliveries.insertMany([
      claimed('a'),
      { ...claimed('b'), attemptStartedAt: at(-60_000), abandonedAttempts: 1 },
      claimed('c', 'claim_of_another'),
    ]);
    await repository.markAttemptsStarted(
      [{ started: ['a', 'b', 'c'], abandoned: ['b'], claimToken: 'claim_1' }],
      at(0),
    );
    expect(await find('a')).toMatchObject({ attemptStartedAt: at(0) });
    expect((await find('a'))!.abandonedAttempts).toBeUndefined();
    expect(await find('b')).toMatchObject({ attemptStartedAt: at(0), abandonedAttempts: 2 });
    // Claimed by someone else meanwhile: untouched.
    expect((await find('c'))!.attemptStartedAt).toBeUndefined();
  });

  it('clears the marker with the outcome, and a redelivery forgives what was abandoned', async () => {
    await deliveries.insertMany([claimed('a')]);
    await repository.markAttemptsStarted(
      [{ started: ['a'], abandoned: ['a'], claimToken: 'claim_1' }],
      at(0),
    );
    await repository.recordOutcomes([
      {
        deliveryId: 'a',
        claimToken: 'claim_1',
        update: {
          status: 'pending',
          attemptCount: 1,
          nextAttemptAt: at(15_000),
          lastAttemptAt: at(0),
          lastError: 'HTTP 500',
          updatedAt: at(10),
          deliveredAt: null,
        },
      },
    ]);
    expect(await find('a')).toMatchObject({
      attemptStartedAt: null,
      readyClaim: null,
      abandonedAttempts: 1,
      claimToken: null,
    });
    await new DeliveryRedeliveryRepository(deliveries).reschedule(
      'app_1',
      { deliveryId: 'a' },
      at(20_000),
    );
    expect(await find('a')).toMatchObject({ attemptStartedAt: null, abandonedAttempts: 0 });
  });

  it('marks ready with the claim only what no earlier attempt marked', async () => {
    const due = (id: string, extra: Partial<DeliveryEntity> = {}): DeliveryEntity => ({
      ...claimed(id, null as unknown as string),
      nextAttemptAt: at(-1_000),
      ...extra,
    });
    await deliveries.insertMany([
      due('clean'),
      due('abandoned', { attemptStartedAt: at(-60_000), readyClaim: 'claim_0' }),
      due('ready elsewhere', { readyClaim: 'claim_0' }),
    ]);
    const claim = await claims.claimDue({
      now: at(0),
      limit: 10,
      leaseUntil: at(30_000),
      claimToken: 'claim_1',
    });
    const byId = new Map(claim.map((delivery) => [delivery._id, delivery]));
    expect(byId.get('clean')).toMatchObject({ claimToken: 'claim_1', readyClaim: 'claim_1' });
    expect(byId.get('abandoned')).toMatchObject({ claimToken: 'claim_1', readyClaim: 'claim_0' });
    expect(byId.get('ready elsewhere')).toMatchObject({ readyClaim: 'claim_0' });
    for (const id of byId.keys()) {
      expect(await find(id)).toMatchObject({
        claimToken: 'claim_1',
        readyClaim: byId.get(id)!.readyClaim,
      });
    }
  });

  it("takes back its own marks when it postpones, and keeps an earlier claim's", async () => {
    await deliveries.insertMany([
      { ...claimed('mine'), readyClaim: 'claim_1', attemptStartedAt: at(0) },
      { ...claimed('earlier'), readyClaim: 'claim_0', attemptStartedAt: at(-60_000) },
    ]);
    await repository.postpone(
      [
        { deliveryId: 'mine', dueAt: at(5_000) },
        { deliveryId: 'earlier', dueAt: at(5_000) },
      ],
      'claim_1',
    );
    expect(await find('mine')).toMatchObject({
      claimToken: null,
      readyClaim: null,
      attemptStartedAt: null,
      nextAttemptAt: at(5_000),
    });
    expect(await find('earlier')).toMatchObject({
      claimToken: null,
      readyClaim: 'claim_0',
      attemptStartedAt: at(-60_000),
    });
  });

  it('writes nothing for an empty batch', async () => {
    await expect(repository.markAttemptsStarted([], at(0))).resolves.toBeUndefined();
  });
});
