import type { PlannedOutcome } from '../record-outcomes/plan-outcome';
import { mayCloseCircuit, planClosedEvents, planOutcomeEvents } from './plan-platform-events';

const AT = new Date('2026-11-26T08:00:00.000Z');
const VERSION = new Date('2026-11-20T10:00:00.000Z');

function outcome(
  status: PlannedOutcome['update']['status'],
  {
    eventType = 'order.paid',
    deliveryId = 'dlv_1',
    gone = false,
    consecutiveFailures = 0,
    circuitOpenUntil,
  }: {
    eventType?: string;
    deliveryId?: string;
    gone?: boolean;
    consecutiveFailures?: number;
    circuitOpenUntil?: Date;
  } = {},
): PlannedOutcome {
  return {
    appId: 'app_1',
    deliveryId,
    messageId: 'msg_1',
    endpointId: 'ep_1',
    update: {
      status,
      attemptCount: 3,
      nextAttemptAt: null,
      lastAttemptAt: AT,
      lastError: status === 'succeeded' ? null : 'HTTP 500',
      deliveredAt: null,
      updatedAt: AT,
    },
    health: {
      endpointId: 'ep_1',
      at: AT,
      succeeded: status === 'succeeded',
      ...(gone ? { disableReason: 'HTTP 410 Gone' } : {}),
    },
    terminal: status !== 'pending',
    context: {
      eventType,
      endpointUpdatedAt: VERSION,
      consecutiveFailures,
      ...(circuitOpenUntil === undefined ? {} : { circuitOpenUntil }),
    },
  };
}

describe('planOutcomeEvents', () => {
  it('reports a delivery that ended failed, with its last error', () => {
    const { raise, notRaised } = planOutcomeEvents([outcome('failed'), outcome('pending')], []);
    expect(notRaised).toEqual([]);
    expect(raise).toEqual([
      {
        appId: 'app_1',
        key: 'delivery.failed:dlv_1:3',
        event: {
          eventType: 'delivery.failed',
          payload: {
            deliveryId: 'dlv_1',
            messageId: 'msg_1',
            endpointId: 'ep_1',
            eventType: 'order.paid',
            attemptCount: 3,
            reason: 'HTTP 500',
            failedAt: AT.toISOString(),
          },
        },
      },
    ]);
  });

  it('reports a 410 once per version of the endpoint, however many deliveries saw it', () => {
    const { raise } = planOutcomeEvents(
      [outcome('failed', { gone: true }), outcome('failed', { gone: true, deliveryId: 'dlv_2' })],
      [],
    );
    const disabled = raise.filter((e) => e.event.eventType === 'endpoint.disabled');
    expect(disabled).toEqual([
      {
        appId: 'app_1',
        key: `endpoint.disabled:ep_1:${VERSION.toISOString()}`,
        event: {
          eventType: 'endpoint.disabled',
          payload: { endpointId: 'ep_1', reason: 'HTTP 410 Gone', disabledAt: AT.toISOString() },
        },
      },
    ]);
  });

  it("reports the breaker's openings and disablings for the endpoint's app", () => {
    const until = new Date(AT.getTime() + 30_000);
    const { raise } = planOutcomeEvents(
      [outcome('pending')],
      [
        { kind: 'opened', endpointId: 'ep_1', until, cooldownMs: 30_000, consecutiveFailures: 20 },
        { kind: 'disabled', endpointId: 'ep_1', reason: 'circuit breaker: 100 failures' },
      ],
    );
    expect(raise.map((e) => [e.appId, e.event.eventType, e.event.payload])).toEqual([
      [
        'app_1',
        'endpoint.circuit_opened',
        {
          endpointId: 'ep_1',
          reason: '20 consecutive failed attempts',
          consecutiveFailures: 20,
          openUntil: until.toISOString(),
          cooldownMs: 30_000,
        },
      ],
      [
        'app_1',
        'endpoint.disabled',
        {
          endpointId: 'ep_1',
          reason: 'circuit breaker: 100 failures',
          disabledAt: AT.toISOString(),
        },
      ],
    ]);
  });

  it('raises nothing about the failed delivery of a platform event: no loop', () => {
    const until = new Date(AT.getTime() + 30_000);
    const { raise, notRaised } = planOutcomeEvents(
      [outcome('failed', { eventType: 'delivery.failed', gone: true })],
      [{ kind: 'opened', endpointId: 'ep_1', until, cooldownMs: 30_000, consecutiveFailures: 20 }],
    );
    expect(raise).toEqual([]);
    expect(notRaised.map((e) => e.event.eventType).sort()).toEqual([
      'delivery.failed',
      'endpoint.circuit_opened',
      'endpoint.disabled',
    ]);
  });
});

describe('mayCloseCircuit and planClosedEvents', () => {
  it('costs nothing for the successes of a healthy endpoint', () => {
    expect(mayCloseCircuit([outcome('succeeded'), outcome('failed')])).toEqual([]);
  });

  it('names the endpoints whose success follows a failure or passed an open circuit', () => {
    const openUntil = new Date(AT.getTime() - 1_000);
    expect(mayCloseCircuit([outcome('succeeded', { consecutiveFailures: 2 })])).toEqual(['ep_1']);
    expect(mayCloseCircuit([outcome('succeeded', { circuitOpenUntil: openUntil })])).toEqual([
      'ep_1',
    ]);
  });

  it('reports each closed circuit, even when a platform event closed it', () => {
    const openUntil = new Date(AT.getTime() - 1_000);
    const batch = [outcome('succeeded', { eventType: 'endpoint.circuit_opened' })];
    expect(planClosedEvents(batch, [{ endpointId: 'ep_1', openUntil }])).toEqual([
      {
        appId: 'app_1',
        key: `endpoint.circuit_closed:ep_1:${openUntil.toISOString()}`,
        event: {
          eventType: 'endpoint.circuit_closed',
          payload: {
            endpointId: 'ep_1',
            reason: 'an attempt succeeded',
            deliveryId: 'dlv_1',
            closedAt: AT.toISOString(),
          },
        },
      },
    ]);
  });
});
