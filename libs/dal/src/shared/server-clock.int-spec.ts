import { Clock } from '@app/common';
import type { Connection } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { DeliveryClaimRepository } from '../deliveries/delivery-claim.repository';
import { ServerClock } from './server-clock';

/** The shortest lease the notifier accepts (LEASE_DURATION >= 15s). */
const LEASE_MS = 15_000;

/** A host's clock, set wrong by `skewMs`: controllable, no sleeping. */
class SkewedClock extends Clock {
  constructor(public skewMs: number) {
    super();
  }

  now(): Date {
    return new Date(Date.now() + this.skewMs);
  }
}

function due(id: string, dueAt: Date): DeliveryEntity {
  return {
    _id: id,
    appId: 'app_1',
    messageId: `msg_${id}`,
    endpointId: 'ep_1',
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: dueAt,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: null,
    createdAt: dueAt,
    updatedAt: dueAt,
  };
}

describe('ServerClock (real MongoDB)', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_server_clock'));
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('tells the same time on hosts whose clocks differ, within the measured round trips', async () => {
    const hosts = [new SkewedClock(-3_600_000), new SkewedClock(0), new SkewedClock(90_000)];
    const clocks = hosts.map((local) => new ServerClock(connection, local));
    const offsets = await Promise.all(clocks.map((clock) => clock.sync()));
    const readings = clocks.map((clock) => clock.now().getTime());
    const spread = Math.max(...readings) - Math.min(...readings);
    // Each reading is within its uncertainty (plus the ms of MongoDB's localTime) of the server.
    const bound = offsets.reduce((sum, offset) => sum + offset.uncertaintyMs + 1, 0) + 5;
    expect(spread).toBeLessThanOrEqual(bound);
    // The offsets undo the skews.
    expect(Math.abs(offsets[0]!.offsetMs - offsets[1]!.offsetMs - 3_600_000)).toBeLessThan(bound);
  });

  it('follows the local clock between measurements, so a step shows until the next one', async () => {
    const local = new SkewedClock(0);
    const clock = new ServerClock(connection, local);
    await clock.sync();
    const before = clock.now().getTime();
    local.skewMs = 60_000;
    expect(clock.now().getTime() - before).toBeGreaterThanOrEqual(60_000);
    await clock.sync();
    expect(Math.abs(clock.now().getTime() - before)).toBeLessThan(5_000);
  });
});

describe('two notifiers with skewed clocks claiming deliveries (real MongoDB)', () => {
  let connection: Connection;
  let deliveries: DeliveryClaimRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_clock'));
    deliveries = new DeliveryClaimRepository(connection.model<DeliveryEntity>('Delivery'));
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  /** What the notifier's scheduler does with its clock: claim what is due, lease it. */
  const claim = (clock: Clock, claimToken: string) => {
    const now = clock.now();
    return deliveries.claimDue({
      now,
      limit: 10,
      claimToken,
      leaseUntil: new Date(now.getTime() + LEASE_MS),
    });
  };

  /** The clock a notifier claims with (NotifierModule), on a host whose own clock is `local`. */
  const claimClock = async (local: Clock): Promise<Clock> => {
    const clock = new ServerClock(connection, local);
    await clock.sync();
    return clock;
  };

  it.each([
    ['ahead', 20_000],
    ['behind', -20_000],
  ])(
    'never lets a notifier whose clock is %s take a delivery another one holds',
    async (_, skewMs) => {
      await connection.model<DeliveryEntity>('Delivery').deleteMany({});
      // Due a little before any of the clocks, so both would claim it if it were free.
      await connection
        .model<DeliveryEntity>('Delivery')
        .insertMany([due('d1', new Date(Date.now() - Math.abs(skewMs) - 60_000))]);
      const right = await claimClock(new SkewedClock(0));
      const skewed = await claimClock(new SkewedClock(skewMs));
      // Whoever claims first holds it for a lease; the other must not get it meanwhile.
      const [first, second] = skewMs > 0 ? [right, skewed] : [skewed, right];
      expect((await claim(first, 'first')).map((d) => d._id)).toEqual(['d1']);
      expect(await claim(second, 'second')).toEqual([]);
    },
  );
});
