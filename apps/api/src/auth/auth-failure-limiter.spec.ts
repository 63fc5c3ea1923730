import { AppError, ErrorCode, type Clock } from '@app/common';
import { loadConfig, apiConfigSchema } from '@app/config';
import { AuthFailureLimiter, clientKey } from './auth-failure-limiter';

class FakeClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
}

function limiter(clock: FakeClock) {
  const config = loadConfig(apiConfigSchema, {
    AUTH_FAILURE_LIMIT: '3',
    AUTH_FAILURE_WINDOW: '1m',
  });
  return new AuthFailureLimiter(clock, config);
}

function rejection(check: () => void): AppError | undefined {
  try {
    check();
  } catch (error) {
    return error as AppError;
  }
  return undefined;
}

describe('AuthFailureLimiter', () => {
  it('lets a client fail AUTH_FAILURE_LIMIT times, then answers 429 for the rest of the window', () => {
    const clock = new FakeClock(0);
    const limits = limiter(clock);
    for (let i = 0; i < 3; i++) {
      expect(() => limits.check('10.0.0.1')).not.toThrow();
      limits.recordFailure('10.0.0.1');
      clock.ms += 1_000;
    }
    const refused = rejection(() => limits.check('10.0.0.1'));
    expect(refused?.code).toBe(ErrorCode.AuthFailureRateLimited);
    expect(refused?.retryAfterSeconds).toBe(57);
    expect(refused?.message).toMatch(/try again in 57 s/);
    // Other clients are not affected.
    expect(() => limits.check('10.0.0.2')).not.toThrow();
    clock.ms = 60_000;
    expect(() => limits.check('10.0.0.1')).not.toThrow();
  });

  it('forgets failures once their window is over', () => {
    const clock = new FakeClock(0);
    const limits = limiter(clock);
    limits.recordFailure('c');
    limits.recordFailure('c');
    clock.ms = 61_000;
    limits.recordFailure('c');
    limits.recordFailure('c');
    expect(() => limits.check('c')).not.toThrow();
  });
});

describe('clientKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('counts %s as %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
