import { randomBytes } from 'node:crypto';
import { apiConfigSchema } from './api.config';
import { ConfigError, loadConfig } from './load-config';
import { notifierConfigSchema } from './notifier.config';

function problemsOf(schema: typeof apiConfigSchema | typeof notifierConfigSchema, env: object) {
  try {
    loadConfig(schema, env as Record<string, string>);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('SECRETS_KEY', () => {
  it('reads 32 bytes of base64 into the key, for both processes', () => {
    const key = randomBytes(32);
    const env = { SECRETS_KEY: key.toString('base64') };
    expect(loadConfig(apiConfigSchema, env).security.secretsKey).toEqual(key);
    expect(loadConfig(notifierConfigSchema, env).security.secretsKey).toEqual(key);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('base64')],
    ['not base64', 'this is not base64 at all, not even close!!'],
    ['hex', randomBytes(32).toString('hex')],
  ])('refuses a key that is %s, without printing it', (_what, value) => {
    const problems = problemsOf(apiConfigSchema, { SECRETS_KEY: value });
    expect(problems).toEqual([
      `SECRETS_KEY: must be 32 random bytes in base64 (make one with: openssl rand -base64 32) (got ${value.length} characters, not shown)`,
    ]);
    expect(problems.join()).not.toContain(value);
  });

  it('knows production from NODE_ENV', () => {
    expect(
      loadConfig(apiConfigSchema, { NODE_ENV: 'production', ADMIN_API_KEY: 'k'.repeat(32) })
        .security.production,
    ).toBe(true);
    expect(loadConfig(apiConfigSchema, { NODE_ENV: 'test' }).security.production).toBe(false);
    expect(loadConfig(notifierConfigSchema, {}).security).toEqual({
      production: false,
      secretsKey: undefined,
      secretsKeyFile: '.data/secrets.key',
    });
  });
});

describe('ADMIN_API_KEY with NODE_ENV=production', () => {
  it('is required: a key generated per process would differ between API processes', () => {
    expect(problemsOf(apiConfigSchema, { NODE_ENV: 'production' })).toEqual([
      'ADMIN_API_KEY: is required when NODE_ENV=production (at least 32 random characters: openssl rand -hex 32)',
    ]);
  });

  it('refuses a key shorter than 32 characters, without repeating it', () => {
    const key = 'short-but-16-plus-chars';
    const problems = problemsOf(apiConfigSchema, { NODE_ENV: 'production', ADMIN_API_KEY: key });
    expect(problems).toEqual([
      `ADMIN_API_KEY: must be at least 32 characters when NODE_ENV=production (openssl rand -hex 32) (got ${key.length} characters, not shown)`,
    ]);
  });

  it('accepts 32 characters, and 16 outside production', () => {
    const key = 'k'.repeat(32);
    expect(
      loadConfig(apiConfigSchema, { NODE_ENV: 'production', ADMIN_API_KEY: key }).adminApiKey,
    ).toBe(key);
    expect(loadConfig(apiConfigSchema, { ADMIN_API_KEY: 'k'.repeat(16) }).adminApiKey).toBe(
      'k'.repeat(16),
    );
  });
});

describe('boot errors never repeat a credential', () => {
  it('hides the value of a bad ADMIN_API_KEY', () => {
    expect(problemsOf(apiConfigSchema, { ADMIN_API_KEY: 'hunter2' })).toEqual([
      'ADMIN_API_KEY: must be at least 16 characters (got 7 characters, not shown)',
    ]);
  });

  it('masks the password of a URL it refuses, keeping the rest to find the mistake', () => {
    const [problem] = problemsOf(apiConfigSchema, { AMQP_URL: 'http://user:s3cret@broker:5672' });
    expect(problem).toBe(
      'AMQP_URL: must start with amqp: or amqps: (got "http://user:***@broker:5672")',
    );
  });
});

describe('endpoint isolation settings', () => {
  it('has defaults: 100 attempts per endpoint, circuit after 20 failures, disable at 100 or 5 days', () => {
    const config = loadConfig(notifierConfigSchema, {});
    expect(config.endpointConcurrency).toBe(100);
    expect(config.circuitBreaker).toEqual({
      openAfterFailures: 20,
      cooldownMs: 30_000,
      maxCooldownMs: 1_800_000,
      disableAfterFailures: 100,
      disableAfterMs: 5 * 86_400_000,
    });
  });

  it.each([
    ['ENDPOINT_CONCURRENCY', '0', /^ENDPOINT_CONCURRENCY: Number must be greater than 0/],
    ['CIRCUIT_BREAKER_FAILURES', 'many', /^CIRCUIT_BREAKER_FAILURES: must be a whole number/],
    ['CIRCUIT_BREAKER_DURATION', '5', /^CIRCUIT_BREAKER_DURATION: "5" has no unit/],
    ['CIRCUIT_BREAKER_COOLDOWN', '10ms', /^CIRCUIT_BREAKER_COOLDOWN: must be at least 1s/],
    ['CIRCUIT_BREAKER_MAX_COOLDOWN', '10s', /^CIRCUIT_BREAKER_MAX_COOLDOWN: must not be shorter/],
  ])('refuses %s=%s', (name, value, expected) => {
    expect(problemsOf(notifierConfigSchema, { [name]: value })).toEqual([
      expect.stringMatching(expected),
    ]);
  });

  it.each([
    ['1', 1],
    ['true', true],
    ['loopback, 10.0.0.0/8,::1', ['loopback', '10.0.0.0/8', '::1']],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig(apiConfigSchema, { TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('refuses a TRUST_PROXY it cannot use', () => {
    expect(problemsOf(apiConfigSchema, { TRUST_PROXY: 'my-proxy' })).toEqual([
      'TRUST_PROXY: "my-proxy" is not a hop count, true/false, an address, a CIDR or one of loopback, linklocal, uniquelocal (got "my-proxy")',
    ]);
  });

  it('reads the failed-authentication limit of the API', () => {
    const config = loadConfig(apiConfigSchema, {
      AUTH_FAILURE_LIMIT: '3',
      AUTH_FAILURE_WINDOW: '10s',
    });
    expect(config).toMatchObject({ authFailureLimit: 3, authFailureWindowMs: 10_000 });
  });
});
