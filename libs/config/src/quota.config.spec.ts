import { apiConfigSchema } from './api.config';
import { ConfigError, loadConfig } from './load-config';
import { notifierConfigSchema } from './notifier.config';

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('quota and retention variables', () => {
  it('reads every quota default, the same for the API and the notifier', () => {
    const env = {
      QUOTA_ENDPOINTS: '5',
      QUOTA_MESSAGES_PER_SECOND: '50',
      QUOTA_EMAILS_PER_HOUR: '60',
      QUOTA_SMS_PER_HOUR: '7',
      QUOTA_MIN_RETRY_DELAY: '5s',
      QUOTA_RETRY_SCHEDULE_LENGTH: '10',
      QUOTA_EVENT_TYPES_PER_ENDPOINT: '20',
      QUOTA_HEADERS_BYTES: '2048',
      QUOTA_TEMPLATE_BYTES: '4096',
    };
    const expected = {
      endpoints: 5,
      messagesPerSecond: 50,
      emailsPerHour: 60,
      smsPerHour: 7,
      minRetryDelay: 5_000,
      retryScheduleLength: 10,
      eventTypesPerEndpoint: 20,
      headersBytes: 2048,
      templateBytes: 4096,
    };
    expect(loadConfig(apiConfigSchema, env).quotas).toEqual(expected);
    expect(loadConfig(notifierConfigSchema, env).quotas).toEqual(expected);
  });

  it('keeps ended messages 30 days by default, swept every minute', () => {
    const config = loadConfig(notifierConfigSchema, {});
    expect(config.retentionMs).toBe(30 * 24 * 3_600_000);
    expect(config.retentionSweepIntervalMs).toBe(60_000);
    expect(loadConfig(notifierConfigSchema, { RETENTION: '7d' }).retentionMs).toBe(
      7 * 24 * 3_600_000,
    );
  });

  it('names a bad value at boot', () => {
    const problems = problemsOf(() =>
      loadConfig(notifierConfigSchema, {
        QUOTA_ENDPOINTS: '0',
        QUOTA_RETRY_SCHEDULE_LENGTH: '51',
        QUOTA_MIN_RETRY_DELAY: 'soon',
        RETENTION: 'forever',
        RETENTION_SWEEP_INTERVAL: '10ms',
      }),
    );
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'QUOTA_ENDPOINTS',
      'QUOTA_MIN_RETRY_DELAY',
      'QUOTA_RETRY_SCHEDULE_LENGTH',
      'RETENTION',
      'RETENTION_SWEEP_INTERVAL',
    ]);
  });
});
