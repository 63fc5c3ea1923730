import type { NotifierConfig } from '@app/config';
import type { DeliveryEntity, DeliveryRepository } from '@app/dal';
import { AttemptStarts, poisonReason } from './attempt-starts';

const T0 = new Date('2026-11-26T08:00:00.000Z');

function delivery(id: string, extra: Partial<DeliveryEntity> = {}): DeliveryEntity {
  return {
    _id: id,
    appId: 'app_1',
    messageId: `msg_${id}`,
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
    ...extra,
  };
}

function setup(poisonAfterAbandonedAttempts = 3) {
  const writes: unknown[][] = [];
  const repository = {
    markAttemptsStarted: (...args: unknown[]) => {
      writes.push(args);
      return Promise.resolve();
    },
  };
  const starts = new AttemptStarts(repository as unknown as DeliveryRepository, { now: () => T0 }, {
    poisonAfterAbandonedAttempts,
  } as NotifierConfig);
  return { starts, writes };
}

describe('AttemptStarts', () => {
  const earlier = new Date(T0.getTime() - 20_000);

  it('marks fresh and once-abandoned deliveries started, counting the abandoned, in one write', async () => {
    const { starts, writes } = setup();
    const poisoned = await starts.begin(
      [
        delivery('fresh'),
        delivery('cleared', { attemptStartedAt: null, abandonedAttempts: 1 }),
        delivery('abandoned', { attemptStartedAt: earlier, abandonedAttempts: 1 }),
      ],
      'claim_1',
    );
    expect(poisoned.size).toBe(0);
    expect(writes).toEqual([
      [
        [
          {
            claimToken: 'claim_1',
            started: ['fresh', 'cleared', 'abandoned'],
            abandoned: ['abandoned'],
          },
        ],
        T0,
      ],
    ]);
  });

  it("writes nothing for deliveries their claim marked, and marks another claim's ready ones uncounted", async () => {
    const { starts, writes } = setup();
    const poisoned = await starts.begin(
      [
        delivery('ready', { readyClaim: 'claim_1' }),
        delivery('started at intake', { readyClaim: 'claim_1', attemptStartedAt: T0 }),
        delivery('ready elsewhere', { readyClaim: 'claim_0' }),
      ],
      'claim_1',
    );
    expect(poisoned.size).toBe(0);
    expect(writes).toEqual([
      [[{ claimToken: 'claim_1', started: ['ready elsewhere'], abandoned: [] }], T0],
    ]);
    expect(await starts.begin([delivery('ready', { readyClaim: 'claim_1' })], 'claim_1')).toEqual(
      new Map(),
    );
    expect(writes).toHaveLength(1);
  });

  it('holds back a delivery abandoned for the Nth time, as poison, still counting it', async () => {
    const { starts, writes } = setup(3);
    const poisoned = await starts.begin(
      [delivery('ok'), delivery('poison', { attemptStartedAt: earlier, abandonedAttempts: 2 })],
      'claim_1',
    );
    expect([...poisoned]).toEqual([
      ['poison', { reason: poisonReason(3, earlier), lastStartedAt: earlier }],
    ]);
    expect(writes).toEqual([
      [[{ claimToken: 'claim_1', started: ['ok'], abandoned: ['poison'] }], T0],
    ]);
  });

  it('lets the attempts start when the write fails, still holding back the poison', async () => {
    const repository = {
      markAttemptsStarted: () => Promise.reject(new Error('not primary')),
    };
    const starts = new AttemptStarts(
      repository as unknown as DeliveryRepository,
      { now: () => T0 },
      {
        poisonAfterAbandonedAttempts: 3,
      } as NotifierConfig,
    );
    const poisoned = await starts.begin(
      [delivery('ok'), delivery('poison', { attemptStartedAt: earlier, abandonedAttempts: 2 })],
      'claim_1',
    );
    expect([...poisoned.keys()]).toEqual(['poison']);
  });

  it('writes the marks that arrive during a write together, in the next one', async () => {
    const writes: unknown[][] = [];
    const pending: (() => void)[] = [];
    const repository = {
      markAttemptsStarted: (...args: unknown[]) => {
        writes.push(args);
        return new Promise<void>((resolve) => pending.push(resolve));
      },
    };
    const starts = new AttemptStarts(
      repository as unknown as DeliveryRepository,
      { now: () => T0 },
      {
        poisonAfterAbandonedAttempts: 3,
      } as NotifierConfig,
    );
    const first = starts.begin([delivery('a')], 'claim_1');
    const second = starts.begin([delivery('b')], 'claim_1');
    const third = starts.begin([delivery('c', { claimToken: 'claim_2' })], 'claim_2');
    // One write in flight; the two that came meanwhile wait for it.
    expect(writes).toHaveLength(1);
    pending.shift()!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
    expect(writes[1]).toEqual([
      [
        { claimToken: 'claim_1', started: ['b'], abandoned: [] },
        { claimToken: 'claim_2', started: ['c'], abandoned: [] },
      ],
      T0,
    ]);
    pending.shift()!();
    await Promise.all([second, third]);
  });

  it('names the count and the last start in the reason', () => {
    expect(poisonReason(1, earlier)).toMatch(
      /^poison: 1 attempt started and never ended \(the last at 2026-11-26T07:59:40.000Z\)/,
    );
    expect(poisonReason(3, earlier)).toMatch(/^poison: 3 attempts started/);
  });
});
