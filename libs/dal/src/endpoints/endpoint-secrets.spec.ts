import { MAX_LIVE_SECRETS, secretRotationWaitMs, signingSecrets } from './endpoint-secrets';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe('signingSecrets', () => {
  it('signs with the current secret alone when nothing was rotated out', () => {
    expect(signingSecrets([{ secret: 'current' }], NOW)).toEqual([{ secret: 'current' }]);
  });

  it('adds the previous secret during its grace period, and not after', () => {
    const previous = { secret: 'previous', expiresAt: later(1) };
    expect(signingSecrets([{ secret: 'current' }, previous], NOW)).toEqual([
      { secret: 'current' },
      previous,
    ]);
    expect(signingSecrets([{ secret: 'current' }, previous], later(1))).toEqual([
      { secret: 'current' },
    ]);
  });

  it(`signs with ${MAX_LIVE_SECRETS} at most, the newest previous one, however many are stored`, () => {
    const stored = [
      { secret: 'current' },
      { secret: 'expired', expiresAt: NOW },
      ...Array.from({ length: 30 }, (_, i) => ({ secret: `old-${i}`, expiresAt: later(1000) })),
    ];
    expect(signingSecrets(stored, NOW).map((entry) => entry.secret)).toEqual(['current', 'old-0']);
  });

  it('signs with nothing when there is no secret (not a webhook endpoint)', () => {
    expect(signingSecrets([], NOW)).toEqual([]);
  });
});

describe('secretRotationWaitMs', () => {
  const limit = { max: 3, windowMs: 60_000 };

  it('lets an endpoint rotate while it made fewer rotations than the limit', () => {
    expect(secretRotationWaitMs({}, limit, NOW)).toBe(0);
    expect(secretRotationWaitMs({ secretRotations: [NOW, NOW] }, limit, NOW)).toBe(0);
  });

  it('waits until the oldest rotation the limit counts leaves the window', () => {
    const rotations = [NOW, later(-10_000), later(-20_000)];
    expect(secretRotationWaitMs({ secretRotations: rotations }, limit, NOW)).toBe(40_000);
    expect(secretRotationWaitMs({ secretRotations: rotations }, limit, later(40_000))).toBe(0);
  });
});
