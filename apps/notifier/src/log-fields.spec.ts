import { outcomeLogFields } from './log-fields';
import type { PlannedOutcome } from './record-outcomes/plan-outcome';

const AT = new Date('2026-11-26T08:00:00.000Z');
const ids = { deliveryId: 'dlv_1', messageId: 'msg_1', endpointId: 'ep_1' };

function planned(update: Partial<PlannedOutcome['update']>, attempt?: object): PlannedOutcome {
  const base = { attemptCount: 3, nextAttemptAt: null, lastError: null, deliveredAt: null };
  const attemptEntity = { _id: 'att_1', appId: 'app_1', ...ids, attempt: 3, startedAt: AT };
  return {
    appId: 'app_1',
    ...ids,
    update: { status: 'pending', lastAttemptAt: AT, updatedAt: AT, ...base, ...update },
    ...(attempt === undefined
      ? {}
      : { attempt: { ...attemptEntity, durationMs: 12, outcome: 'failed', ...attempt } }),
    terminal: update.status !== 'pending',
  };
}

describe('outcomeLogFields', () => {
  it('names the message, delivery and endpoint of a retried attempt, and when it comes back', () => {
    const retry = planned(
      {
        status: 'pending',
        nextAttemptAt: new Date('2026-11-26T08:01:00.000Z'),
        lastError: 'HTTP 500',
      },
      { statusCode: 500 },
    );
    expect(outcomeLogFields(retry)).toEqual({
      ...ids,
      attempt: 3,
      status: 'pending',
      outcome: 'failed',
      statusCode: 500,
      durationMs: 12,
      nextAttemptAt: '2026-11-26T08:01:00.000Z',
      reason: 'HTTP 500',
    });
  });

  it('gives a delivery that failed for good its reason, and a success no reason', () => {
    const failed = planned({ status: 'failed', lastError: 'timed out after 10 ms' }, {});
    expect(outcomeLogFields(failed)).toMatchObject({
      status: 'failed',
      reason: 'timed out after 10 ms',
    });
    expect(outcomeLogFields(failed)).not.toHaveProperty('nextAttemptAt');
    const delivered = planned({ status: 'succeeded' }, { outcome: 'succeeded', statusCode: 204 });
    expect(outcomeLogFields(delivered)).not.toHaveProperty('reason');
    expect(outcomeLogFields(delivered)).toMatchObject({ outcome: 'succeeded', statusCode: 204 });
  });

  it('leaves out what only an attempt has when none was made', () => {
    const settled = planned({ status: 'cancelled', lastError: 'the endpoint was deleted' });
    expect(outcomeLogFields(settled)).toEqual({
      ...ids,
      attempt: 3,
      status: 'cancelled',
      reason: 'the endpoint was deleted',
    });
  });
});
