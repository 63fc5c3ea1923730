import { circuitWriteOperation } from './endpoint-circuit.repository';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const UNTIL = new Date(NOW.getTime() + 30_000);

describe('circuitWriteOperation: a circuit change, fenced on the state it was decided from', () => {
  it('opens a closed circuit only while it is still closed', () => {
    const operation = circuitWriteOperation({
      kind: 'open',
      endpointId: 'ep_1',
      until: UNTIL,
      openings: 1,
      seen: {},
    });
    expect(operation.filter).toEqual({
      _id: 'ep_1',
      enabled: true,
      circuitOpenUntil: { $exists: false },
      circuitOpenings: { $exists: false },
    });
    expect(operation.update).toEqual({
      $set: { circuitOpenUntil: UNTIL, circuitOpenings: 1, circuitProbing: false },
    });
  });

  it('opens again after a failed probe only if no one else did', () => {
    const probeHold = new Date(NOW.getTime() + 5_000);
    const operation = circuitWriteOperation({
      kind: 'open',
      endpointId: 'ep_1',
      until: UNTIL,
      openings: 3,
      seen: { circuitOpenUntil: probeHold, circuitOpenings: 2 },
    });
    expect(operation.filter).toMatchObject({ circuitOpenUntil: probeHold, circuitOpenings: 2 });
  });

  it('disables an enabled endpoint, saying why, and forgets its circuit', () => {
    const operation = circuitWriteOperation({
      kind: 'disable',
      endpointId: 'ep_1',
      reason: 'circuit breaker: failing',
      at: NOW,
    });
    expect(operation.filter).toEqual({ _id: 'ep_1', enabled: true });
    expect(operation.update).toEqual({
      $set: { enabled: false, disabledReason: 'circuit breaker: failing', updatedAt: NOW },
      $unset: { circuitOpenUntil: '', circuitOpenings: '', circuitProbing: '' },
    });
  });
});
