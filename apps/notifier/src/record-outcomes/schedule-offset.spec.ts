import type { DeliveryEntity } from '@app/dal';
import { planOutcome } from './plan-outcome';

const AT = new Date('2026-11-26T08:00:00.000Z');
const SCHEDULE = [1_000, 5_000];

function delivery(attemptCount: number, scheduleOffset?: number): DeliveryEntity {
  return {
    _id: 'dlv_1',
    appId: 'app_1',
    messageId: 'msg_1',
    endpointId: 'ep_1',
    channel: 'webhook',
    status: 'pending',
    attemptCount,
    ...(scheduleOffset === undefined ? {} : { scheduleOffset }),
    nextAttemptAt: AT,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: 'claim',
    createdAt: AT,
    updatedAt: AT,
  };
}

function failAttempt(entity: DeliveryEntity) {
  return planOutcome({
    delivery: entity,
    schedule: SCHEDULE,
    result: { outcome: 'transient', durationMs: 10, statusCode: 503 },
    startedAt: AT,
    now: AT,
    random: () => 0.5,
  });
}

describe('a redelivered delivery (scheduleOffset)', () => {
  it('starts the schedule over while its attempts number on', () => {
    // Three attempts exhausted the schedule; a redelivery set the offset to 3.
    const first = failAttempt(delivery(3, 3));
    expect(first.attempt?.attempt).toBe(4);
    expect(first.update).toMatchObject({ status: 'pending', attemptCount: 4 });
    expect(first.update.nextAttemptAt).toEqual(new Date(AT.getTime() + 1_000));

    const second = failAttempt(delivery(4, 3));
    expect(second.update.nextAttemptAt).toEqual(new Date(AT.getTime() + 5_000));

    const last = failAttempt(delivery(5, 3));
    expect(last.attempt?.attempt).toBe(6);
    expect(last.update).toMatchObject({ status: 'failed', nextAttemptAt: null });
  });

  it('without an offset the schedule counts from the first attempt', () => {
    expect(failAttempt(delivery(2)).update.status).toBe('failed');
    expect(failAttempt(delivery(1)).update.nextAttemptAt).toEqual(new Date(AT.getTime() + 5_000));
  });
});
