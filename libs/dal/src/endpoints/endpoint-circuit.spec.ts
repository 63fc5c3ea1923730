import { planCircuit, type CircuitPolicy, type CircuitState } from './endpoint-circuit.repository';
import { healthUpdate } from './endpoint.repository';

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
    expect(change?.transition).toEqual({
      kind: 'opened',
      endpointId: 'ep_1',
      until: new Date(NOW.getTime() + 30_000),
      cooldownMs: 30_000,
      consecutiveFailures: 20,
    });
    expect(change?.update).toEqual({
      $set: {
        circuitOpenUntil: change?.transition.kind === 'opened' && change.transition.until,
        circuitOpenings: 1,
        circuitProbing: false,
      },
    });
    expect(change?.filter).toEqual({
      _id: 'ep_1',
      enabled: true,
      circuitOpenUntil: { $exists: false },
      circuitOpenings: { $exists: false },
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
  });

  it('disables after CIRCUIT_BREAKER_FAILURES failures over CIRCUIT_BREAKER_DURATION, saying why', () => {
    const since = new Date(NOW.getTime() - 5 * 86_400_000);
    const change = planCircuit(
      state({ consecutiveFailures: 100, failingSince: since }),
      POLICY,
      NOW,
    );
    expect(change?.transition).toEqual({
      kind: 'disabled',
      endpointId: 'ep_1',
      reason:
        'circuit breaker: 100 consecutive failed attempts over 5 days, since 2026-11-21T08:00:00.000Z, without a success',
    });
    expect(change?.filter).toEqual({ _id: 'ep_1', enabled: true });
    expect(change?.update.$set).toMatchObject({ enabled: false, updatedAt: NOW });
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

describe('healthUpdate and the failure streak', () => {
  const at = (s: number) => new Date(NOW.getTime() + s * 1000);

  it('starts a streak with the first failure and keeps an older start ($min)', () => {
    const update = healthUpdate([
      { endpointId: 'ep_1', at: at(2), succeeded: false },
      { endpointId: 'ep_1', at: at(1), succeeded: false },
    ]);
    expect(update).toMatchObject({
      $inc: { consecutiveFailures: 2 },
      $min: { failingSince: at(1) },
    });
  });

  it('ends the streak and closes the circuit on a success', () => {
    const update = healthUpdate([{ endpointId: 'ep_1', at: at(1), succeeded: true }]);
    expect(update.$unset).toEqual({
      failingSince: '',
      circuitOpenUntil: '',
      circuitOpenings: '',
      circuitProbing: '',
    });
    expect(update.$set).toMatchObject({ consecutiveFailures: 0 });
  });

  it('starts a new streak at the first failure after the last success', () => {
    const update = healthUpdate([
      { endpointId: 'ep_1', at: at(1), succeeded: false },
      { endpointId: 'ep_1', at: at(2), succeeded: true },
      { endpointId: 'ep_1', at: at(3), succeeded: false },
      { endpointId: 'ep_1', at: at(4), succeeded: false },
    ]);
    expect(update.$set).toMatchObject({ consecutiveFailures: 2, failingSince: at(3) });
    expect(update.$unset).not.toHaveProperty('failingSince');
    expect(update.$unset).toHaveProperty('circuitOpenUntil');
  });
});
