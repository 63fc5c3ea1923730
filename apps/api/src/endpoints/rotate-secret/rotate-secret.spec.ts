import { rotatedSecrets, SECRET_GRACE_MS } from './rotate-secret.usecase';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe('rotatedSecrets', () => {
  it('puts the new secret first and keeps the previous one signing for 24 hours', () => {
    expect(rotatedSecrets([{ secret: 'old' }], 'new', NOW)).toEqual([
      { secret: 'new' },
      { secret: 'old', expiresAt: later(SECRET_GRACE_MS) },
    ]);
    expect(SECRET_GRACE_MS).toBe(86_400_000);
  });

  it('retires an earlier rotated-out secret at once, although its grace period still runs', () => {
    const earlier = { secret: 'older', expiresAt: later(3_600_000) };
    expect(rotatedSecrets([{ secret: 'old' }, earlier], 'new', NOW)).toEqual([
      { secret: 'new' },
      { secret: 'old', expiresAt: later(SECRET_GRACE_MS) },
    ]);
  });

  it('keeps two secrets however many an endpoint stored before the cap', () => {
    const stored = [
      { secret: 'old' },
      ...Array.from({ length: 30 }, (_, i) => ({ secret: `s${i}`, expiresAt: later(1000) })),
    ];
    expect(rotatedSecrets(stored, 'new', NOW).map((s) => s.secret)).toEqual(['new', 'old']);
  });
});
