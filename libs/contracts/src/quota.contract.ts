import { z } from 'zod';
import { durationSchema } from './duration.schema';

/**
 * The limits one app works within. Each has an environment default (QUOTA_*, README) and may be
 * set per app by an admin (`PATCH /v1/apps/:id { "quotas": { ... } }`). The ceilings here are the
 * most an admin may grant; the endpoint contract's own bounds stay in force above them.
 */
export interface AppQuotas {
  /** Endpoints the app may have (409 quota_exceeded beyond). */
  endpoints: number;
  /** Messages per second: HTTP answers 429 beyond; AMQP messages beyond are stored, attempted later. */
  messagesPerSecond: number;
  /** Email attempts per hour; beyond, deliveries are postponed to the next hour. */
  emailsPerHour: number;
  /** SMS attempts per hour; beyond, deliveries are postponed to the next hour. */
  smsPerHour: number;
  /** The shortest delay an endpoint's retrySchedule may hold, ms. */
  minRetryDelay: number;
  /** Entries in an endpoint's retrySchedule. */
  retryScheduleLength: number;
  /** Patterns in an endpoint's eventTypes. */
  eventTypesPerEndpoint: number;
  /** Bytes of an endpoint's headers, names and values together (UTF-8). */
  headersBytes: number;
  /** Bytes of an endpoint's template, subject, text and html together (UTF-8). */
  templateBytes: number;
}

export type QuotaName = keyof AppQuotas;

/** What an admin may set for each quota: whole numbers from 1 (0 for the delay) to a ceiling. */
const count = (max: number) => z.number().int().min(1).max(max);

export const quotaFields = {
  endpoints: count(100_000),
  messagesPerSecond: count(1_000_000),
  emailsPerHour: count(10_000_000),
  smsPerHour: count(10_000_000),
  minRetryDelay: durationSchema.pipe(
    z
      .number()
      .int()
      .min(0)
      .max(24 * 3_600_000, 'must be at most 24h'),
  ),
  retryScheduleLength: count(50),
  eventTypesPerEndpoint: count(100),
  headersBytes: count(50 * 4_200),
  templateBytes: count(301_000),
} satisfies Record<QuotaName, z.ZodTypeAny>;

export const QUOTA_NAMES = Object.keys(quotaFields) as QuotaName[];

/** `quotas` in PATCH /v1/apps/:id: any subset; null puts a quota back to the default. */
export const appQuotasPatchSchema = z
  .object(
    Object.fromEntries(QUOTA_NAMES.map((name) => [name, quotaFields[name].nullable()])) as {
      [K in QuotaName]: z.ZodNullable<(typeof quotaFields)[K]>;
    },
  )
  .partial()
  .strict();

export type AppQuotasPatch = z.output<typeof appQuotasPatchSchema>;

/** The quotas that apply: the app's own where it has one, the environment's default otherwise. */
export function effectiveQuotas(
  own: Partial<AppQuotas> | undefined,
  defaults: AppQuotas,
): AppQuotas {
  const quotas = { ...defaults };
  for (const name of QUOTA_NAMES) {
    const value = own?.[name];
    if (value !== undefined) quotas[name] = value;
  }
  return quotas;
}
