import type { EndpointEntity } from '@app/dal';
import type { EndpointHealthChange } from './circuit-rules';
import { endpointsEndingInFailure } from './circuit-breaker';
import { circuitOf, rateLimitedDueTimes, spreadFor } from './endpoint-admission';

const NOW = new Date('2026-11-26T08:00:00.250Z');

function endpoint(overrides: Partial<EndpointEntity> = {}): EndpointEntity {
  return {
    _id: 'ep_1',
    appId: 'app_1',
    channel: 'webhook',
    eventTypes: ['*'],
    timeoutMs: 10_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [],
    recipientTokenHash: 'h',
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

describe('circuitOf', () => {
  it('is closed without a circuitOpenUntil', () => {
    expect(circuitOf(endpoint({ consecutiveFailures: 500 }), NOW)).toEqual({ state: 'closed' });
  });

  it('is open until the cool-down ends, then half-open', () => {
    const until = new Date(NOW.getTime() + 1);
    expect(circuitOf(endpoint({ circuitOpenUntil: until }), NOW)).toEqual({ state: 'open', until });
    expect(circuitOf(endpoint({ circuitOpenUntil: NOW }), NOW)).toEqual({ state: 'half-open' });
  });
});

describe('rateLimitedDueTimes', () => {
  it('fills the following seconds with `limit` deliveries each, at random moments', () => {
    const times = rateLimitedDueTimes(7, 3, NOW, () => 0.5).map((t) => t.toISOString());
    expect(times).toEqual([
      '2026-11-26T08:00:01.500Z',
      '2026-11-26T08:00:01.500Z',
      '2026-11-26T08:00:01.500Z',
      '2026-11-26T08:00:02.500Z',
      '2026-11-26T08:00:02.500Z',
      '2026-11-26T08:00:02.500Z',
      '2026-11-26T08:00:03.500Z',
    ]);
  });

  it('never puts one before the next second, nor past its own second', () => {
    const times = rateLimitedDueTimes(4, 2, NOW, () => 0.9999);
    expect(times.every((t) => t.getTime() >= Date.parse('2026-11-26T08:00:01.000Z'))).toBe(true);
    expect(times[3]!.getTime()).toBeLessThan(Date.parse('2026-11-26T08:00:03.000Z'));
  });
});

describe('spreadFor', () => {
  it('is a tenth of the wait, within 1 s and 30 s', () => {
    expect(spreadFor(100)).toBe(1_000);
    expect(spreadFor(60_000)).toBe(6_000);
    expect(spreadFor(3_600_000)).toBe(30_000);
  });
});

describe('endpointsEndingInFailure', () => {
  const at = (s: number) => new Date(NOW.getTime() + s * 1000);
  const change = (endpointId: string, s: number, succeeded: boolean): EndpointHealthChange => ({
    endpointId,
    at: at(s),
    succeeded,
  });

  it("names endpoints whose latest outcome is a failure, whatever the batch's order", () => {
    const changes = [
      change('ep_a', 2, false),
      change('ep_a', 1, true),
      change('ep_b', 1, false),
      change('ep_b', 2, true),
      change('ep_c', 1, false),
    ];
    expect(endpointsEndingInFailure(changes).sort()).toEqual(['ep_a', 'ep_c']);
  });
});
