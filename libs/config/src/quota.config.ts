import { z } from 'zod';
import type { AppQuotas } from '@app/contracts';
import { env } from './env';

const number = { invalid_type_error: 'must be a whole number' };
const atMost = (max: number, fallback: number) =>
  z.coerce.number(number).int().positive().max(max).default(fallback);

/**
 * Every app's quotas unless an admin set its own (PATCH /v1/apps/:id). The API enforces some,
 * the notifier others, so both read all of them (README, docs/operations.md).
 */
export const quotaEnv = {
  QUOTA_ENDPOINTS: env.positiveInt(100),
  QUOTA_MESSAGES_PER_SECOND: env.positiveInt(1_000),
  QUOTA_EMAILS_PER_HOUR: env.positiveInt(1_000),
  QUOTA_SMS_PER_HOUR: env.positiveInt(100),
  QUOTA_MIN_RETRY_DELAY: env.duration('1s'),
  // The endpoint contract refuses more than these whatever the quota.
  QUOTA_RETRY_SCHEDULE_LENGTH: atMost(50, 50),
  QUOTA_EVENT_TYPES_PER_ENDPOINT: atMost(100, 100),
  QUOTA_HEADERS_BYTES: env.positiveInt(16_384),
  QUOTA_TEMPLATE_BYTES: env.positiveInt(65_536),
};

type QuotaVars = { [K in keyof typeof quotaEnv]: z.output<(typeof quotaEnv)[K]> };

export function quotaDefaults(vars: QuotaVars): AppQuotas {
  return {
    endpoints: vars.QUOTA_ENDPOINTS,
    messagesPerSecond: vars.QUOTA_MESSAGES_PER_SECOND,
    emailsPerHour: vars.QUOTA_EMAILS_PER_HOUR,
    smsPerHour: vars.QUOTA_SMS_PER_HOUR,
    minRetryDelay: vars.QUOTA_MIN_RETRY_DELAY,
    retryScheduleLength: vars.QUOTA_RETRY_SCHEDULE_LENGTH,
    eventTypesPerEndpoint: vars.QUOTA_EVENT_TYPES_PER_ENDPOINT,
    headersBytes: vars.QUOTA_HEADERS_BYTES,
    templateBytes: vars.QUOTA_TEMPLATE_BYTES,
  };
}
