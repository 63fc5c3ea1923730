import type { DeliveryEntity, EndpointEntity } from '@app/dal';
import { MAX_FALLBACK_DEPTH, planFallbacks } from './fallback-deliveries';

const NOW = new Date('2026-11-26T08:00:00.000Z');

function endpoint(id: string, overrides: Partial<EndpointEntity> = {}): EndpointEntity {
  return {
    _id: id,
    appId: 'app_1',
    channel: 'webhook',
    eventTypes: ['*'],
    timeoutMs: 10_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [],
    recipientTokenHash: `hash_${id}`,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

function failed(endpointId: string, overrides: Partial<DeliveryEntity> = {}): DeliveryEntity {
  return {
    _id: `dlv_${endpointId}`,
    appId: 'app_1',
    messageId: 'msg_1',
    endpointId,
    channel: 'webhook',
    status: 'failed',
    attemptCount: 3,
    nextAttemptAt: null,
    lastAttemptAt: NOW,
    lastError: 'HTTP 500',
    deliveredAt: null,
    claimToken: null,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

const byId = (...endpoints: EndpointEntity[]) => new Map(endpoints.map((e) => [e._id, e]));

describe('planFallbacks', () => {
  it('plans a pending delivery of the same message to the fallback, due now', () => {
    const endpoints = byId(
      endpoint('ep_a', { fallbackEndpointId: 'ep_b' }),
      endpoint('ep_b', { channel: 'email', to: 'ops@example.com' }),
    );
    const [planned, ...rest] = planFallbacks([failed('ep_a')], endpoints, NOW);
    expect(rest).toHaveLength(0);
    expect(planned).toMatchObject({
      appId: 'app_1',
      messageId: 'msg_1',
      endpointId: 'ep_b',
      channel: 'email',
      status: 'pending',
      attemptCount: 0,
      nextAttemptAt: NOW,
      claimToken: null,
      fallbackFor: 'dlv_ep_a',
      fallbackDepth: 1,
    });
    expect(planned!._id).toMatch(/^dlv_/);
  });

  it('plans nothing for an endpoint without a fallback, or whose fallback is gone', () => {
    const endpoints = byId(endpoint('ep_a'), endpoint('ep_c', { fallbackEndpointId: 'ep_gone' }));
    expect(planFallbacks([failed('ep_a'), failed('ep_c')], endpoints, NOW)).toEqual([]);
  });

  it('plans nothing for a delivery that did not fail', () => {
    const endpoints = byId(endpoint('ep_a', { fallbackEndpointId: 'ep_b' }), endpoint('ep_b'));
    expect(planFallbacks([failed('ep_a', { status: 'succeeded' })], endpoints, NOW)).toEqual([]);
  });

  it('never falls back to the same endpoint or into another app', () => {
    const endpoints = byId(
      endpoint('ep_a', { fallbackEndpointId: 'ep_a' }),
      endpoint('ep_b', { fallbackEndpointId: 'ep_x' }),
      endpoint('ep_x', { appId: 'app_2' }),
    );
    expect(planFallbacks([failed('ep_a'), failed('ep_b')], endpoints, NOW)).toEqual([]);
  });

  it('counts the depth along a chain and stops at the limit', () => {
    const endpoints = byId(endpoint('ep_a', { fallbackEndpointId: 'ep_b' }), endpoint('ep_b'));
    const second = planFallbacks([failed('ep_a', { fallbackDepth: 1 })], endpoints, NOW);
    expect(second[0]?.fallbackDepth).toBe(2);
    expect(
      planFallbacks([failed('ep_a', { fallbackDepth: MAX_FALLBACK_DEPTH })], endpoints, NOW),
    ).toEqual([]);
  });
});
