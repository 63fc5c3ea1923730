import { newDelivery } from './new-delivery';

const NOW = new Date('2026-01-01T00:00:00Z');
const OF = {
  appId: 'app_1',
  messageId: 'msg_1',
  endpoint: { _id: 'ep_1', channel: 'sms' as const },
};

describe('newDelivery', () => {
  it('is pending, unattempted and due at once by default', () => {
    expect(newDelivery(OF, NOW)).toEqual({
      _id: expect.stringMatching(/^dlv_/),
      appId: 'app_1',
      messageId: 'msg_1',
      endpointId: 'ep_1',
      channel: 'sms',
      status: 'pending',
      attemptCount: 0,
      nextAttemptAt: NOW,
      lastAttemptAt: null,
      lastError: null,
      deliveredAt: null,
      claimToken: null,
      createdAt: NOW,
      updatedAt: NOW,
    });
  });

  it('is due when its lease ends and marked ready when written claimed, else at its due time', () => {
    const leaseUntil = new Date(NOW.getTime() + 90_000);
    const dueAt = new Date(NOW.getTime() + 5_000);
    const claimed = newDelivery(
      { ...OF, claim: { claimToken: 'c', leaseUntil, startedAt: null } },
      NOW,
    );
    expect(claimed).toMatchObject({
      claimToken: 'c',
      nextAttemptAt: leaseUntil,
      readyClaim: 'c',
      attemptStartedAt: null,
    });
    const starting = newDelivery(
      { ...OF, claim: { claimToken: 'c', leaseUntil, startedAt: NOW } },
      NOW,
    );
    expect(starting).toMatchObject({ readyClaim: 'c', attemptStartedAt: NOW });
    expect(newDelivery({ ...OF, dueAt }, NOW)).toMatchObject({
      claimToken: null,
      nextAttemptAt: dueAt,
    });
  });

  it('names the failed delivery a fallback stands in for', () => {
    const fallback = newDelivery({ ...OF, fallback: { for: 'dlv_0', depth: 2 } }, NOW);
    expect(fallback).toMatchObject({ fallbackFor: 'dlv_0', fallbackDepth: 2 });
    expect(newDelivery(OF, NOW)).not.toHaveProperty('fallbackFor');
  });
});
