import { metricsRegistry } from '@app/common';
import type { DeliveryUpdate } from '@app/dal';
import { outcomeLabel, recordOutcomeMetrics } from './outcome-metrics';
import type { PlannedOutcome } from './plan-outcome';

const AT = new Date('2026-11-26T08:00:00.000Z');

function outcome(status: DeliveryUpdate['status'], durationMs?: number): PlannedOutcome {
  return {
    appId: 'app_1',
    deliveryId: 'dlv_1',
    messageId: 'msg_1',
    endpointId: 'ep_1',
    update: {
      status,
      attemptCount: 1,
      nextAttemptAt: status === 'pending' ? AT : null,
      lastAttemptAt: AT,
      lastError: null,
      deliveredAt: null,
      updatedAt: AT,
    },
    ...(durationMs === undefined
      ? {}
      : {
          attempt: {
            _id: 'att_1',
            appId: 'app_1',
            messageId: 'msg_1',
            deliveryId: 'dlv_1',
            endpointId: 'ep_1',
            attempt: 1,
            startedAt: AT,
            durationMs,
            outcome: status === 'succeeded' ? 'succeeded' : 'failed',
          },
        }),
    terminal: status !== 'pending',
  };
}

describe('outcomeLabel', () => {
  it.each([
    ['pending', 'retry_scheduled'],
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
  ] as const)('labels a delivery left %s as %s', (status, label) => {
    expect(outcomeLabel(outcome(status))).toBe(label);
  });
});

describe('recordOutcomeMetrics', () => {
  beforeEach(() => metricsRegistry.resetMetrics());

  it('counts the outcome and observes the attempt duration in seconds', async () => {
    recordOutcomeMetrics(outcome('succeeded', 250));
    recordOutcomeMetrics(outcome('pending', 1500));
    const text = await metricsRegistry.metrics();
    expect(text).toContain('notify_deliveries_total{outcome="succeeded"} 1');
    expect(text).toContain('notify_deliveries_total{outcome="retry_scheduled"} 1');
    expect(text).toContain(
      'notify_delivery_attempt_duration_seconds_sum{outcome="succeeded"} 0.25',
    );
    expect(text).toContain('notify_delivery_attempt_duration_seconds_count{outcome="failed"} 1');
  });

  it('counts a settlement without an attempt but observes no duration', async () => {
    recordOutcomeMetrics(outcome('cancelled'));
    const text = await metricsRegistry.metrics();
    expect(text).toContain('notify_deliveries_total{outcome="cancelled"} 1');
    expect(text).not.toContain('notify_delivery_attempt_duration_seconds_count');
  });
});
