import { apiConfigSchema } from './api.config';
import { ConfigError, loadConfig } from './load-config';
import { notifierConfigSchema } from './notifier.config';

const DEFAULT_SCHEDULE_MS = [
  15_000, 60_000, 300_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
];

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const DEFAULT_QUOTAS = {
  endpoints: 100,
  messagesPerSecond: 1_000,
  emailsPerHour: 1_000,
  smsPerHour: 100,
  minRetryDelay: 1_000,
  retryScheduleLength: 50,
  eventTypesPerEndpoint: 100,
  headersBytes: 16_384,
  templateBytes: 65_536,
};

describe('loadConfig defaults (CONTRACT.md "Running it")', () => {
  it('gives the API its defaults from an empty environment', () => {
    expect(loadConfig(apiConfigSchema, {})).toEqual({
      port: 3000,
      mongodbUri: undefined,
      amqpUrls: ['amqp://guest:guest@127.0.0.1:5672'],
      brokerUser: 'guest',
      adminApiKey: undefined,
      retrySchedule: DEFAULT_SCHEDULE_MS,
      targetAllowlist: [],
      logLevel: 'info',
      publishTimeoutMs: 5_000,
      security: { production: false, secretsKey: undefined, secretsKeyFile: '.data/secrets.key' },
      authFailureLimit: 10,
      authFailureWindowMs: 60_000,
      trustProxy: undefined,
      quotas: DEFAULT_QUOTAS,
      secretRotationLimit: { max: 10, windowMs: 3_600_000 },
      metrics: { token: undefined, backlogMaxAgeMs: 15_000 },
    });
  });

  it('gives the notifier its defaults from an empty environment', () => {
    expect(loadConfig(notifierConfigSchema, {})).toMatchObject({
      mongodbUri: undefined,
      amqpUrls: ['amqp://guest:guest@127.0.0.1:5672'],
      retrySchedule: DEFAULT_SCHEDULE_MS,
      targetAllowlist: [],
      smtpUrl: undefined,
      smsProvider: 'http',
      smsGatewayUrl: undefined,
    });
  });

  it('reads the default schedule as nine attempts over about 23 hours', () => {
    const { retrySchedule } = loadConfig(apiConfigSchema, {});
    expect(retrySchedule).toHaveLength(8);
    const hours = retrySchedule.reduce((sum, ms) => sum + ms, 0) / 3_600_000;
    expect(hours).toBeGreaterThan(22);
    expect(hours).toBeLessThan(24);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(apiConfigSchema, { PORT: '', AMQP_URL: '', RETRY_SCHEDULE: '' });
    expect(config.port).toBe(3000);
    expect(config.amqpUrls).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
    expect(config.retrySchedule).toEqual(DEFAULT_SCHEDULE_MS);
  });
});

describe('loadConfig with values', () => {
  it('reads every variable it is given', () => {
    const config = loadConfig(apiConfigSchema, {
      PORT: '8080',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/notify',
      AMQP_URL: 'amqps://user:pass@broker.example.com:5671/prod',
      ADMIN_API_KEY: 'a-long-enough-admin-key',
      RETRY_SCHEDULE: '500ms, 15s,1m',
      TARGET_ALLOWLIST: '127.0.0.0/8, ::1/128,10.1.2.3',
    });
    expect(config).toEqual({
      port: 8080,
      mongodbUri: 'mongodb://127.0.0.1:27017/notify',
      amqpUrls: ['amqps://user:pass@broker.example.com:5671/prod'],
      brokerUser: 'user',
      adminApiKey: 'a-long-enough-admin-key',
      retrySchedule: [500, 15_000, 60_000],
      targetAllowlist: [
        { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
        { address: '::1', prefix: 128, family: 'ipv6' },
        { address: '10.1.2.3', prefix: 32, family: 'ipv4' },
      ],
      logLevel: 'info',
      publishTimeoutMs: 5_000,
      security: { production: false, secretsKey: undefined, secretsKeyFile: '.data/secrets.key' },
      authFailureLimit: 10,
      authFailureWindowMs: 60_000,
      trustProxy: undefined,
      quotas: DEFAULT_QUOTAS,
      secretRotationLimit: { max: 10, windowMs: 3_600_000 },
      metrics: { token: undefined, backlogMaxAgeMs: 15_000 },
    });
  });

  it('ignores variables that are not its own', () => {
    expect(loadConfig(apiConfigSchema, { HOME: '/root', PATH: '/bin' }).port).toBe(3000);
  });
});

describe('loadConfig refusals', () => {
  it('names every bad variable, with its reason and the value it got', () => {
    const problems = problemsOf(() =>
      loadConfig(apiConfigSchema, {
        PORT: 'abc',
        RETRY_SCHEDULE: '10x',
        AMQP_URL: 'http://x',
        TARGET_ALLOWLIST: 'bad',
      }),
    );
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT: must be a whole number (got "abc")',
        expect.stringMatching(
          /^RETRY_SCHEDULE: entry 1: "10x" is not a duration: .*\(got "10x"\)$/,
        ),
        'AMQP_URL: must start with amqp: or amqps: (got "http://x")',
        'TARGET_ALLOWLIST: "bad" is not an IP address or CIDR (got "bad")',
      ]),
    );
  });

  it('puts every problem in the message it stops the process with', () => {
    expect(() => loadConfig(apiConfigSchema, { PORT: 'abc', AMQP_URL: 'http://x' })).toThrow(
      /^Invalid configuration:\n {2}- (PORT|AMQP_URL): .*\n {2}- (PORT|AMQP_URL): /,
    );
  });

  it.each([
    ['PORT', '70000', /^PORT: Number must be less than or equal to 65535/],
    ['PORT', '80.5', /^PORT: must be a whole number/],
    ['AMQP_URL', 'not a url', /^AMQP_URL: is not a URL \(got "not a url"\)$/],
    ['MONGODB_URI', 'postgres://db', /^MONGODB_URI: Invalid scheme, expected .* "mongodb:\/\/"/],
    ['RETRY_SCHEDULE', '15s,,1m', /^RETRY_SCHEDULE: entry 2 of "15s,,1m" is empty/],
    ['RETRY_SCHEDULE', '15', /^RETRY_SCHEDULE: entry 1: "15" has no unit/],
    ['TARGET_ALLOWLIST', '10.0.0.0/33', /^TARGET_ALLOWLIST: "10.0.0.0\/33" has a bad prefix/],
    ['TARGET_ALLOWLIST', '::1/129', /^TARGET_ALLOWLIST: "::1\/129" has a bad prefix/],
    ['ADMIN_API_KEY', 'short', /^ADMIN_API_KEY: must be at least 16 characters/],
    ['PUBLISH_TIMEOUT', '5', /^PUBLISH_TIMEOUT: "5" has no unit/],
  ])('refuses %s=%s for the API', (name, value, expected) => {
    const problems = problemsOf(() => loadConfig(apiConfigSchema, { [name]: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it.each([
    ['SMTP_URL', 'x', /^SMTP_URL: is not a URL/],
    ['SMTP_URL', 'http://mail', /^SMTP_URL: must start with smtp: or smtps:/],
    ['SMS_GATEWAY_URL', 'ftp://sms', /^SMS_GATEWAY_URL: must start with http: or https:/],
    ['SMS_PROVIDER', 'pigeon', /^SMS_PROVIDER: /],
    ['DELIVERY_CONCURRENCY', '0', /^DELIVERY_CONCURRENCY: Number must be greater than 0/],
    ['SCHEDULER_INTERVAL', 'often', /^SCHEDULER_INTERVAL: "often" is not a duration/],
    ['LEASE_DURATION', '1s', /^LEASE_DURATION: must be at least 15s/],
    ['INTAKE_BATCH_SIZE', '501', /^INTAKE_BATCH_SIZE: must not exceed INTAKE_PREFETCH/],
    [
      'POISON_AFTER_ABANDONED_ATTEMPTS',
      '0',
      /^POISON_AFTER_ABANDONED_ATTEMPTS: Number must be greater than 0/,
    ],
  ])('refuses %s=%s for the notifier', (name, value, expected) => {
    const problems = problemsOf(() => loadConfig(notifierConfigSchema, { [name]: value }));
    expect(problems).toEqual([expect.stringMatching(expected)]);
  });

  it('fails a delivery as poison after 3 abandoned attempts unless told otherwise', () => {
    expect(loadConfig(notifierConfigSchema, {}).poisonAfterAbandonedAttempts).toBe(3);
    const config = loadConfig(notifierConfigSchema, { POISON_AFTER_ABANDONED_ATTEMPTS: '5' });
    expect(config.poisonAfterAbandonedAttempts).toBe(5);
  });

  it('does not let a malformed URL escape as an unnamed error', () => {
    expect(() => loadConfig(notifierConfigSchema, { AMQP_URL: '::' })).toThrow(ConfigError);
    expect(() => loadConfig(apiConfigSchema, { MONGODB_URI: 'nope' })).toThrow(ConfigError);
  });
});

describe('MONGODB_URI: every connection string the MongoDB driver accepts', () => {
  it.each([
    'mongodb://127.0.0.1:27311,127.0.0.1:27312,127.0.0.1:27313/db?replicaSet=rs',
    'mongodb+srv://notify:s3cret@cluster0.example.net/notify?retryWrites=true&w=majority',
    'mongodb://notify:p%40ss@db1.example.net:27017,db2.example.net/notify?authSource=admin&tls=true',
    'mongodb://[::1]:27017/notify',
  ])('boots the API and the notifier on %s', (uri) => {
    expect(loadConfig(apiConfigSchema, { MONGODB_URI: uri }).mongodbUri).toBe(uri);
    expect(loadConfig(notifierConfigSchema, { MONGODB_URI: uri }).mongodbUri).toBe(uri);
  });

  it.each([
    [
      'nope',
      /^MONGODB_URI: Invalid scheme, expected connection string to start with "mongodb:\/\/"/,
    ],
    ['postgres://db', /^MONGODB_URI: Invalid scheme/],
    ['mongodb://db/?w=majority&wtimeoutMS=soon', /^MONGODB_URI: .*wtimeoutMS/],
    [
      'mongodb://db/?replicaset=rs&frobnicate=1',
      /^MONGODB_URI: option frobnicate is not supported/,
    ],
    [
      'mongodb+srv://a.example.net,b.example.net/db',
      /^MONGODB_URI: mongodb\+srv URI cannot have multiple service names/,
    ],
    ['mongodb://db:99999/notify', /^MONGODB_URI: /],
  ])('stops boot on %s with a message naming the variable', (uri, expected) => {
    expect(problemsOf(() => loadConfig(apiConfigSchema, { MONGODB_URI: uri }))).toEqual([
      expect.stringMatching(expected),
    ]);
  });

  it('never repeats the password of a refused string', () => {
    const [problem] = problemsOf(() =>
      loadConfig(apiConfigSchema, { MONGODB_URI: 'mongodb://notify:s3cret@db/?frobnicate=1' }),
    );
    expect(problem).not.toContain('s3cret');
    expect(problem).toContain('MONGODB_URI');
  });
});

describe('AMQP_URL: the brokers of one cluster, comma separated', () => {
  const three =
    'amqp://notify:pw@rabbit-1:5672/prod, amqp://notify:pw@rabbit-2:5672/prod,amqps://notify:pw@rabbit-3:5671/prod';

  it('keeps every broker, in order, for the API and the notifier', () => {
    const expected = [
      'amqp://notify:pw@rabbit-1:5672/prod',
      'amqp://notify:pw@rabbit-2:5672/prod',
      'amqps://notify:pw@rabbit-3:5671/prod',
    ];
    const api = loadConfig(apiConfigSchema, { AMQP_URL: three });
    expect(api.amqpUrls).toEqual(expected);
    expect(api.brokerUser).toBe('notify');
    expect(loadConfig(notifierConfigSchema, { AMQP_URL: three }).amqpUrls).toEqual(expected);
  });

  it.each([
    ['amqp://a:pw@r1,not a url', /^AMQP_URL: entry 2: is not a URL/],
    ['amqp://a:pw@r1,,amqp://a:pw@r3', /^AMQP_URL: entry 2: is empty/],
    ['amqp://a:pw@r1,http://r2', /^AMQP_URL: entry 2: must start with amqp: or amqps:/],
    ['amqp://a:pw@r1,amqp://b:pw@r2', /^AMQP_URL: entry 2: names another user than entry 1/],
    ['amqp://r1/prod,amqp://r2/test', /^AMQP_URL: entry 2: names another vhost than entry 1/],
  ])('stops boot on %s naming the variable and the entry', (list, expected) => {
    expect(problemsOf(() => loadConfig(notifierConfigSchema, { AMQP_URL: list }))).toEqual([
      expect.stringMatching(expected),
    ]);
  });

  it('takes the default user and vhost as written out or left out', () => {
    const list = 'amqp://r1,amqp://guest@r2/,amqp://guest:guest@r3';
    expect(loadConfig(apiConfigSchema, { AMQP_URL: list }).amqpUrls).toHaveLength(3);
  });

  it('masks the password of every entry it shows', () => {
    const [problem] = problemsOf(() =>
      loadConfig(apiConfigSchema, { AMQP_URL: 'amqp://u:first@r1,amqp://u:second@r2,ftp://x' }),
    );
    expect(problem).toMatch(/^AMQP_URL: entry 3: /);
    expect(problem).not.toMatch(/first|second/);
  });
});
