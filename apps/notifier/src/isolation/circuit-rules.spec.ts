import type { CircuitState } from '@app/dal';
import {
  healthUpdate,
  healthUpdates,
  LAST_SUCCESS_RESOLUTION_MS,
  planCircuit,
  type CircuitPolicy,
  type EndpointHealthChange,
} from './circuit-rules';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const POLICY: CircuitPolicy = {
  openAfterFailures: 20,
  cooldownMs: 30_000,
  maxCooldownMs: 1_800_000,
  disableAfterFailures: 100,
  disableAfterMs: 5 * 86_400_000,
};

function state(overrides: Partial<CircuitState> = {}): CircuitState {
  return {
    _id: 'ep_1',
    enabled: true,
    consecutiveFailures: 20,
    failingSince: new Date(NOW.getTime() - 60_000),
    ...overrides,
  };
}

describe('planCircuit', () => {
  it('leaves an endpoint alone below the opening threshold', () => {
    expect(planCircuit(state({ consecutiveFailures: 19 }), POLICY, NOW)).toBeUndefined();
  });

  it('does not open for a burst of failures shorter than a cool-down', () => {
    const burst = state({
      consecutiveFailures: 300,
      failingSince: new Date(NOW.getTime() - 29_999),
    });
    expect(planCircuit(burst, POLICY, NOW)).toBeUndefined();
    const sustained = state({
      consecutiveFailures: 21,
      failingSince: new Date(NOW.getTime() - 30_000),
    });
    expect(planCircuit(sustained, POLICY, NOW)?.transition.kind).toBe('opened');
  });

  it('opens a closed circuit for the first cool-down, fenced on the state it saw', () => {
    const change = planCircuit(state(), POLICY, NOW);
    const until = new Date(NOW.getTime() + 30_000);
    expect(change?.transition).toEqual({
      kind: 'opened',
      endpointId: 'ep_1',
      until,
      cooldownMs: 30_000,
      consecutiveFailures: 20,
    });
    expect(change?.write).toEqual({
      kind: 'open',
      endpointId: 'ep_1',
      until,
      openings: 1,
      seen: { circuitOpenUntil: undefined, circuitOpenings: undefined },
    });
  });

  it('does nothing for failures arriving while the circuit is open (attempts started before)', () => {
    const open = state({ circuitOpenUntil: new Date(NOW.getTime() + 10_000), circuitOpenings: 1 });
    expect(planCircuit(open, POLICY, NOW)).toBeUndefined();
  });

  it('opens again after a failed probe, doubling the cool-down up to the maximum', () => {
    const probing = (openings: number) =>
      state({
        consecutiveFailures: 21 + openings,
        circuitOpenUntil: new Date(NOW.getTime() + 5_000),
        circuitOpenings: openings,
        circuitProbing: true,
      });
    const cooldown = (openings: number) => {
      const change = planCircuit(probing(openings), POLICY, NOW);
      return change?.transition.kind === 'opened' ? change.transition.cooldownMs : undefined;
    };
    expect([1, 2, 3, 6, 7, 20].map(cooldown)).toEqual([
      60_000, 120_000, 240_000, 1_800_000, 1_800_000, 1_800_000,
    ]);
    expect(planCircuit(probing(2), POLICY, NOW)?.write).toMatchObject({
      openings: 3,
      seen: { circuitOpenUntil: new Date(NOW.getTime() + 5_000), circuitOpenings: 2 },
    });
  });

  it('disables after CIRCUIT_BREAKER_FAILURES failures over CIRCUIT_BREAKER_DURATION, saying why', () => {
    const since = new Date(NOW.getTime() - 5 * 86_400_000);
    const change = planCircuit(
      state({ consecutiveFailures: 100, failingSince: since }),
      POLICY,
      NOW,
    );
    const reason =
      'circuit breaker: 100 consecutive failed attempts over 5 days, since 2026-11-21T08:00:00.000Z, without a success';
    expect(change?.transition).toEqual({ kind: 'disabled', endpointId: 'ep_1', reason });
    expect(change?.write).toEqual({ kind: 'disable', endpointId: 'ep_1', reason, at: NOW });
  });

  it('needs both: many failures in a short burst, or a few over days, do not disable', () => {
    const burst = state({
      consecutiveFailures: 5_000,
      failingSince: new Date(NOW.getTime() - 60_000),
    });
    expect(planCircuit(burst, POLICY, NOW)?.transition.kind).not.toBe('disabled');
    const sparse = state({
      consecutiveFailures: 12,
      failingSince: new Date(NOW.getTime() - 9 * 86_400_000),
    });
    expect(planCircuit(sparse, POLICY, NOW)).toBeUndefined();
  });

  it('never touches a disabled endpoint', () => {
    expect(
      planCircuit(state({ enabled: false, consecutiveFailures: 500 }), POLICY, NOW),
    ).toBeUndefined();
  });
});

describe('healthUpdate: one update for an endpoint’s outcomes in a batch', () => {
  const at = (second: number) => new Date(NOW.getTime() + second * 1000);
  const ok = (second: number): EndpointHealthChange => ({
    endpointId: 'ep_1',
    at: at(second),
    succeeded: true,
  });
  const failed = (second: number, disableReason?: string): EndpointHealthChange => ({
    endpointId: 'ep_1',
    at: at(second),
    succeeded: false,
    ...(disableReason === undefined ? {} : { disableReason }),
  });

  it('resets the failure count on success, ends the streak and closes the circuit', () => {
    expect(healthUpdate([ok(1), ok(2)])).toEqual({
      endpointId: 'ep_1',
      lastSuccessAt: at(2),
      streak: { kind: 'restarted', failures: 0 },
      closeCircuit: true,
      // Only successes: skipped where a healthy endpoint has a success stored since 1 s before.
      unlessHealthySince: at(2 - LAST_SUCCESS_RESOLUTION_MS / 1000),
    });
  });

  it('writes a batch with a failure in it whatever the stored health', () => {
    expect(healthUpdate([ok(1), failed(2)])).not.toHaveProperty('unlessHealthySince');
    expect(healthUpdate([failed(1), ok(2)])).not.toHaveProperty('unlessHealthySince');
  });

  it('adds up failures when nothing succeeded, from the first of them (an older start is kept)', () => {
    expect(healthUpdate([failed(2), failed(3), failed(1)])).toEqual({
      endpointId: 'ep_1',
      lastFailureAt: at(3),
      streak: { kind: 'extended', failures: 3, from: at(1) },
      closeCircuit: false,
    });
  });

  it('counts only the failures after the last success, in time order: a new streak', () => {
    // Given out of order: the success at 2 is followed by the failures at 3 and 4.
    expect(healthUpdate([failed(4), failed(1), ok(2), failed(3)])).toMatchObject({
      lastSuccessAt: at(2),
      lastFailureAt: at(4),
      streak: { kind: 'restarted', failures: 2, since: at(3) },
      closeCircuit: true,
    });
  });

  it('disables the endpoint when one of the outcomes was a 410', () => {
    expect(healthUpdate([ok(1), failed(2, 'HTTP 410 Gone')])).toMatchObject({
      lastSuccessAt: at(1),
      lastFailureAt: at(2),
      streak: { kind: 'restarted', failures: 1, since: at(2) },
      disable: { reason: 'HTTP 410 Gone', at: at(2) },
    });
  });

  it('makes one update per endpoint of a batch', () => {
    const other = { ...failed(5), endpointId: 'ep_2' };
    expect(healthUpdates([failed(1), other, ok(2)]).map((update) => update.endpointId)).toEqual([
      'ep_1',
      'ep_2',
    ]);
  });
});
