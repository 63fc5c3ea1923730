import { ConfigError, loadConfig } from './load-config';
import { notifierConfigSchema } from './notifier.config';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TWILIO = { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'token', TWILIO_FROM: '+15005550006' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(notifierConfigSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('notifier config: email and SMS channels', () => {
  it('defaults the sender to notify@localhost and leaves Twilio unconfigured', () => {
    expect(loadConfig(notifierConfigSchema, {})).toMatchObject({
      smtpFrom: 'notify@localhost',
      smsProvider: 'http',
      twilio: undefined,
    });
  });

  it.each(['alerts@example.com', 'Alerts <alerts@example.com>', '"Shop, Inc." <a@b.c>'])(
    'takes SMTP_FROM=%s',
    (from) => {
      expect(loadConfig(notifierConfigSchema, { SMTP_FROM: from }).smtpFrom).toBe(from);
    },
  );

  it.each(['nobody', 'a b@c', 'Alerts'])('refuses SMTP_FROM=%s', (from) => {
    expect(problemsOf({ SMTP_FROM: from })).toEqual([
      `SMTP_FROM: must be an address such as notify@example.com or "Notify <notify@example.com>" (got "${from}")`,
    ]);
  });

  it('reads the Twilio settings, with the real API as the default base URL', () => {
    expect(loadConfig(notifierConfigSchema, { SMS_PROVIDER: 'twilio', ...TWILIO }).twilio).toEqual({
      apiUrl: 'https://api.twilio.com',
      accountSid: SID,
      authToken: 'token',
      from: '+15005550006',
    });
  });

  it('lets tests point TWILIO_API_URL elsewhere', () => {
    const config = loadConfig(notifierConfigSchema, {
      SMS_PROVIDER: 'twilio',
      TWILIO_API_URL: 'http://127.0.0.1:4010',
      ...TWILIO,
    });
    expect(config.twilio?.apiUrl).toBe('http://127.0.0.1:4010');
  });

  it('names each Twilio variable missing when SMS_PROVIDER=twilio', () => {
    expect(problemsOf({ SMS_PROVIDER: 'twilio' })).toEqual([
      'TWILIO_ACCOUNT_SID: is required when SMS_PROVIDER=twilio',
      'TWILIO_AUTH_TOKEN: is required when SMS_PROVIDER=twilio',
      'TWILIO_FROM: is required when SMS_PROVIDER=twilio',
    ]);
    const withoutToken = { TWILIO_ACCOUNT_SID: SID, TWILIO_FROM: '+15005550006' };
    expect(problemsOf({ SMS_PROVIDER: 'twilio', ...withoutToken })).toEqual([
      'TWILIO_AUTH_TOKEN: is required when SMS_PROVIDER=twilio',
    ]);
  });

  it('refuses a malformed account SID', () => {
    expect(problemsOf({ SMS_PROVIDER: 'twilio', ...TWILIO, TWILIO_ACCOUNT_SID: 'AC123' })).toEqual([
      'TWILIO_ACCOUNT_SID: must be a Twilio Account SID: AC and 32 hex digits (got "AC123")',
    ]);
  });

  it('does not ask for Twilio credentials with the http provider', () => {
    expect(loadConfig(notifierConfigSchema, { SMS_PROVIDER: 'http' }).twilio).toBeUndefined();
  });
});

describe('notifier config: intake', () => {
  it('defaults the size limit to 256 KiB and the API broker user to the one in AMQP_URL', () => {
    expect(loadConfig(notifierConfigSchema, {})).toMatchObject({
      intakeMaxMessageBytes: 262_144,
      apiBrokerUser: 'guest',
    });
    const config = loadConfig(notifierConfigSchema, {
      AMQP_URL: 'amqp://notify%2Dapi:pw@rabbit:5672/prod,amqp://notify-api:pw@rabbit-2:5672/prod',
    });
    expect(config.apiBrokerUser).toBe('notify-api');
    expect(loadConfig(notifierConfigSchema, { API_BROKER_USER: 'api' }).apiBrokerUser).toBe('api');
  });

  it('refuses a size limit below what the HTTP API accepts', () => {
    expect(problemsOf({ INTAKE_MAX_MESSAGE_BYTES: '1000' })).toEqual([
      'INTAKE_MAX_MESSAGE_BYTES: must be at least 262144 (256 KiB, the largest body the HTTP API accepts) (got "1000")',
    ]);
  });
});
