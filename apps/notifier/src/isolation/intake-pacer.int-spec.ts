import type { Connection } from 'mongoose';
import { loadConfig, notifierConfigSchema } from '@app/config';
import {
  AppQuotaReader,
  AppRepository,
  openConnection,
  RateLimitRepository,
  type AppEntity,
} from '@app/dal';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { IntakePacer } from './intake-pacer';

type RateWindow = { _id: string; count: number; expiresAt: Date };

const T0 = new Date('2026-12-03T08:00:00.000Z');

/** The real repository, counting the bookings of the shared pace. */
class CountingRateLimits extends RateLimitRepository {
  bookings = 0;

  override pace(key: string, perSecond: number, count: number, now: Date): Promise<Date> {
    this.bookings++;
    return super.pace(key, perSecond, count, now);
  }
}

const at = (ms: number) => new Date(T0.getTime() + ms);
let sequence = 0;
const batch = (appId: string, size: number) =>
  Array.from({ length: size }, () => ({ _id: `msg_${(sequence += 1)}`, appId }));

describe('IntakePacer: the app quota booked in a shared pace (real MongoDB)', () => {
  let connection: Connection;
  let rateLimits: CountingRateLimits;
  /** Two notifiers' pacers, over one database. */
  let first: IntakePacer;
  let second: IntakePacer;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_intake_pacer'));
    rateLimits = new CountingRateLimits(connection.model<RateWindow>('RateWindow'));
    const apps = new AppRepository(connection.model<AppEntity>('App'));
    await apps.create({
      _id: 'app_slow',
      name: 'slow',
      apiKeyHash: 'hash_slow',
      createdAt: T0,
      quotas: { messagesPerSecond: 100 },
    });
    // Every app's quota is 1,000 messages a second but app_slow's own.
    const { quotas } = loadConfig(notifierConfigSchema, { QUOTA_MESSAGES_PER_SECOND: '1000' });
    first = new IntakePacer(new AppQuotaReader(apps, quotas), rateLimits);
    second = new IntakePacer(new AppQuotaReader(apps, quotas), rateLimits);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(() => (rateLimits.bookings = 0));

  it('books a twentieth of a second ahead: small batches under the quota book once in a while', async () => {
    for (let i = 0; i < 20; i++) {
      expect(await first.deferrals(batch('app_fast', 3), at(i * 10))).toEqual(new Map());
    }
    // 60 messages: 3 + 50 booked ahead, then 7 more + 50.
    expect(rateLimits.bookings).toBe(2);
  });

  it('drops what was booked ahead and not used within a second', async () => {
    await first.deferrals(batch('app_idle', 3), at(0));
    await first.deferrals(batch('app_idle', 3), at(500));
    expect(rateLimits.bookings).toBe(1);
    await first.deferrals(batch('app_idle', 3), at(1_600));
    expect(rateLimits.bookings).toBe(2);
  });

  it('still holds an app to its quota across notifiers: a second’s worth at once, the rest paced', async () => {
    const deferred = new Map<string, Date>();
    for (let i = 0; i < 30; i++) {
      const pacer = i % 2 === 0 ? first : second;
      for (const [id, due] of await pacer.deferrals(batch('app_slow', 10), at(0))) {
        deferred.set(id, due);
      }
    }
    // 300 messages at 100 a second: at most 100 go at once, whatever was booked ahead.
    expect(deferred.size).toBeGreaterThanOrEqual(200);
    const dues = [...deferred.values()].map((due) => due.getTime()).sort((a, b) => a - b);
    expect(new Set(dues).size).toBe(dues.length);
    expect(dues[0]).toBeGreaterThanOrEqual(at(1_000).getTime());
    // Booked ahead and left unused at the end: 5 slots of 10 ms at most, in each notifier.
    expect(dues.at(-1)).toBeLessThan(at(3_100).getTime());
  });
});
