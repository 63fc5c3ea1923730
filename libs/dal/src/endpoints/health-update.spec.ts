import { healthUpdate, type EndpointHealthChange } from './endpoint.repository';

const at = (second: number) => new Date(Date.UTC(2026, 10, 26, 8, 0, second));
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

describe('healthUpdate: one update for an endpoint’s outcomes in a batch', () => {
  it('resets the failure count on success', () => {
    expect(healthUpdate([ok(1), ok(2)])).toMatchObject({
      $set: { lastSuccessAt: at(2), consecutiveFailures: 0 },
    });
  });

  it('adds up failures when nothing succeeded', () => {
    expect(healthUpdate([failed(1), failed(3), failed(2)])).toMatchObject({
      $set: { lastFailureAt: at(3) },
      $inc: { consecutiveFailures: 3 },
    });
  });

  it('counts only the failures after the last success, in time order', () => {
    // Given out of order: the success at 2 is followed by the failures at 3 and 4.
    expect(healthUpdate([failed(4), failed(1), ok(2), failed(3)])).toMatchObject({
      $set: { lastSuccessAt: at(2), consecutiveFailures: 2, lastFailureAt: at(4) },
    });
  });

  it('disables the endpoint when one of the outcomes was a 410', () => {
    expect(healthUpdate([ok(1), failed(2, 'HTTP 410 Gone')])).toMatchObject({
      $set: {
        lastSuccessAt: at(1),
        consecutiveFailures: 1,
        lastFailureAt: at(2),
        enabled: false,
        disabledReason: 'HTTP 410 Gone',
        updatedAt: at(2),
      },
    });
  });
});
