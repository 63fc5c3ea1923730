import type { AttemptResult } from '@app/channels';
import type { DeliveryEntity } from '@app/dal';
import { planOutcome, planSettlement, type OutcomeInput } from './plan-outcome';

const STARTED = new Date('2026-11-26T08:00:00.000Z');
const NOW = new Date('2026-11-26T08:00:00.250Z');
const SCHEDULE = [1_000, 5_000];
const noJitter = (): number => 0.5;

function delivery(overrides: Partial<DeliveryEntity> = {}): DeliveryEntity {
  return {
    _id: 'dlv_1',
    appId: 'app_1',
    messageId: 'msg_1',
    endpointId: 'ep_1',
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: STARTED,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: 'claim-1',
    createdAt: STARTED,
    updatedAt: STARTED,
    ...overrides,
  };
}

function plan(result: AttemptResult, overrides: Partial<OutcomeInput> = {}) {
  return planOutcome({
    delivery: delivery(),
    schedule: SCHEDULE,
    result,
    startedAt: STARTED,
    now: NOW,
    random: noJitter,
    ...overrides,
  });
}

const transient: AttemptResult = {
  outcome: 'transient',
  durationMs: 250,
  statusCode: 500,
  error: 'HTTP 500',
  responseBody: 'boom',
};

describe('planOutcome', () => {
  it('marks a delivered attempt succeeded and logs it', () => {
    const planned = plan({ outcome: 'delivered', durationMs: 250, statusCode: 200 });
    expect(planned.update).toEqual({
      status: 'succeeded',
      attemptCount: 1,
      nextAttemptAt: null,
      lastAttemptAt: STARTED,
      lastError: null,
      deliveredAt: NOW,
      updatedAt: NOW,
    });
    expect(planned.attempt).toMatchObject({
      appId: 'app_1',
      messageId: 'msg_1',
      deliveryId: 'dlv_1',
      endpointId: 'ep_1',
      attempt: 1,
      startedAt: STARTED,
      durationMs: 250,
      outcome: 'succeeded',
      statusCode: 200,
    });
    expect(planned.attempt?._id).toMatch(/^att_[0-9a-f]{32}$/);
    expect(planned.health).toEqual({ endpointId: 'ep_1', at: NOW, succeeded: true });
    expect(planned.terminal).toBe(true);
  });

  it('schedules a transient failure on the next delay, counted from now', () => {
    const planned = plan(transient);
    expect(planned.update).toMatchObject({
      status: 'pending',
      attemptCount: 1,
      nextAttemptAt: new Date(NOW.getTime() + 1_000),
      lastError: 'HTTP 500',
      deliveredAt: null,
    });
    expect(planned.attempt).toMatchObject({
      outcome: 'failed',
      statusCode: 500,
      error: 'HTTP 500',
      responseBody: 'boom',
    });
    expect(planned.health).toEqual({ endpointId: 'ep_1', at: NOW, succeeded: false });
    expect(planned.terminal).toBe(false);
  });

  it('uses the delay for the attempt number: the second failure waits schedule[1]', () => {
    const planned = plan(transient, { delivery: delivery({ attemptCount: 1 }) });
    expect(planned.update.attemptCount).toBe(2);
    expect(planned.attempt?.attempt).toBe(2);
    expect(planned.update.nextAttemptAt).toEqual(new Date(NOW.getTime() + 5_000));
  });

  it('applies jitter within 10%', () => {
    const early = plan(transient, { random: () => 0 });
    const late = plan(transient, { random: () => 0.999_999 });
    expect(early.update.nextAttemptAt).toEqual(new Date(NOW.getTime() + 900));
    expect(late.update.nextAttemptAt).toEqual(new Date(NOW.getTime() + 1_100));
  });

  it('fails the delivery when the schedule is exhausted', () => {
    const planned = plan(transient, { delivery: delivery({ attemptCount: 2 }) });
    expect(planned.update).toMatchObject({
      status: 'failed',
      attemptCount: 3,
      nextAttemptAt: null,
      lastError: 'HTTP 500',
    });
    expect(planned.attempt?.attempt).toBe(3);
    expect(planned.terminal).toBe(true);
  });

  it('fails at once after the only attempt of an empty schedule', () => {
    const planned = plan(transient, { schedule: [] });
    expect(planned.update.status).toBe('failed');
    expect(planned.terminal).toBe(true);
  });

  it('waits at least Retry-After when it is longer than the scheduled delay', () => {
    const planned = plan({ ...transient, statusCode: 429, retryAfterMs: 30_000 });
    expect(planned.update.nextAttemptAt).toEqual(new Date(NOW.getTime() + 30_000));
  });

  it('keeps the scheduled delay when Retry-After is shorter', () => {
    const planned = plan({ ...transient, statusCode: 503, retryAfterMs: 10 });
    expect(planned.update.nextAttemptAt).toEqual(new Date(NOW.getTime() + 1_000));
  });

  it('does not retry past the schedule because of Retry-After', () => {
    const planned = plan(
      { ...transient, statusCode: 429, retryAfterMs: 1_000 },
      { delivery: delivery({ attemptCount: 2 }) },
    );
    expect(planned.update.status).toBe('failed');
  });

  it('fails a permanent error at once although the schedule has room', () => {
    const planned = plan({ outcome: 'permanent', durationMs: 0, error: 'refused to connect' });
    expect(planned.update).toMatchObject({
      status: 'failed',
      nextAttemptAt: null,
      lastError: 'refused to connect',
    });
    expect(planned.attempt).not.toHaveProperty('statusCode');
    expect(planned.health?.disableReason).toBeUndefined();
    expect(planned.terminal).toBe(true);
  });

  it('fails a 410 at once and asks to disable the endpoint', () => {
    const planned = plan({
      outcome: 'gone',
      durationMs: 5,
      statusCode: 410,
      error: 'HTTP 410 Gone: the endpoint asked to stop',
    });
    expect(planned.update.status).toBe('failed');
    expect(planned.health).toEqual({
      endpointId: 'ep_1',
      at: NOW,
      succeeded: false,
      disableReason: 'HTTP 410 Gone: the endpoint asked to stop',
    });
    expect(planned.terminal).toBe(true);
  });

  it('gives a failure without a message a lastError all the same', () => {
    const planned = plan({ outcome: 'transient', durationMs: 1 });
    expect(planned.update.lastError).toBe('failed');
    expect(planned.attempt).not.toHaveProperty('error');
  });

  it('gives every attempt its own id', () => {
    const ids = new Set(Array.from({ length: 50 }, () => plan(transient).attempt?._id));
    expect(ids.size).toBe(50);
  });
});

describe('planSettlement', () => {
  it('settles without an attempt, keeping what earlier attempts recorded', () => {
    const lastAttemptAt = new Date('2026-11-26T07:59:00.000Z');
    const planned = planSettlement(
      delivery({ attemptCount: 2, lastAttemptAt }),
      'failed',
      'the endpoint is disabled',
      NOW,
    );
    expect(planned).toEqual({
      appId: 'app_1',
      deliveryId: 'dlv_1',
      messageId: 'msg_1',
      endpointId: 'ep_1',
      update: {
        status: 'failed',
        attemptCount: 2,
        nextAttemptAt: null,
        lastAttemptAt,
        lastError: 'the endpoint is disabled',
        deliveredAt: null,
        updatedAt: NOW,
      },
      terminal: true,
    });
  });

  it('cancels a delivery whose endpoint is gone', () => {
    const planned = planSettlement(delivery(), 'cancelled', 'the endpoint was deleted', NOW);
    expect(planned.update.status).toBe('cancelled');
    expect(planned.attempt).toBeUndefined();
    expect(planned.health).toBeUndefined();
  });
});
