import { z } from 'zod';
import { MAX_MESSAGE_BYTES } from '@app/contracts';
import { brokerUserOf } from './broker-user';
import { dependencyEnv, env } from './env';
import { quotaDefaults, quotaEnv } from './quota.config';
import { metricsConfig, metricsEnv } from './metrics.config';
import { tracingEnv } from './tracing.config';
import { securityConfig, securityEnv } from './security.config';

/**
 * An attempt must end this long before its claim's lease does, or another worker could claim and
 * start the same delivery: an attempt's timeout is cut to LEASE_DURATION minus this (ADR 0001).
 */
export const LEASE_MARGIN_MS = 10_000;
/** The shortest an attempt may be given under the shortest lease allowed. */
const MIN_ATTEMPT_MS = 5_000;

export const SMS_PROVIDERS = ['http', 'twilio'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

export const notifierConfigSchema = z
  .object({
    ...dependencyEnv,
    SMTP_URL: env.optionalUrl(['smtp:', 'smtps:']),
    SMTP_FROM: z
      .string()
      .regex(/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/, {
        message: 'must be an address such as notify@example.com or "Notify <notify@example.com>"',
      })
      .default('notify@localhost'),
    SMS_PROVIDER: z
      .enum(SMS_PROVIDERS, { message: `must be one of ${SMS_PROVIDERS.join(', ')}` })
      .default('http'),
    SMS_GATEWAY_URL: env.optionalUrl(['http:', 'https:']),
    TWILIO_API_URL: env.url(['http:', 'https:'], 'https://api.twilio.com'),
    TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID: AC and 32 hex digits')
      .optional(),
    TWILIO_AUTH_TOKEN: z.string().optional(),
    TWILIO_FROM: z.string().optional(),
    INTAKE_PREFETCH: env.positiveInt(500),
    INTAKE_BATCH_SIZE: env.positiveInt(200),
    /**
     * An AMQP body larger than this is refused unparsed and dead-lettered cut short. Not below
     * what the HTTP API accepts, or a message it answered 202 for would be refused here.
     */
    INTAKE_MAX_MESSAGE_BYTES: env.positiveInt(MAX_MESSAGE_BYTES),
    /**
     * The broker user the API publishes as: its messages are accepted for an app bound to another
     * broker user (brokerUser). Default: the user in AMQP_URL (the API and notifiers share it).
     */
    API_BROKER_USER: z.string().min(1, 'must not be empty').optional(),
    DELIVERY_CONCURRENCY: env.positiveInt(400),
    SCHEDULER_INTERVAL: env.duration('250ms'),
    LEASE_DURATION: env.duration('90s'),
    /** A standalone notifier serves GET /metrics on this port when it is set. */
    METRICS_PORT: env.optionalPort(),
    ...metricsEnv,
    // Read by startTracing before anything else loads; refused here, at boot, when malformed.
    ...tracingEnv,
    ...securityEnv,
    /**
     * The most attempts in flight to one endpoint, per notifier; more are handed back, due again
     * soon. A ceiling an endpoint earns by answering promptly (ADR 0008), as many as a consumer
     * with prefetch 100 would run.
     */
    ENDPOINT_CONCURRENCY: env.positiveInt(100),
    /**
     * Consecutive failures, spanning at least one cool-down, after which an endpoint's circuit
     * opens: its attempts are postponed for the cool-down.
     */
    CIRCUIT_BREAKER_OPEN_AFTER: env.positiveInt(20),
    CIRCUIT_BREAKER_COOLDOWN: env.duration('30s'),
    CIRCUIT_BREAKER_MAX_COOLDOWN: env.duration('30m'),
    /** An endpoint is disabled after this many consecutive failures spanning ... */
    CIRCUIT_BREAKER_FAILURES: env.positiveInt(100),
    /** ... at least this long without a success (docs/operations.md). */
    CIRCUIT_BREAKER_DURATION: env.duration('5d'),
    /**
     * A delivery whose attempt started and then ended without an outcome (its notifier died
     * during the attempt) this many times is failed as poison instead of being tried again.
     */
    POISON_AFTER_ABANDONED_ATTEMPTS: env.positiveInt(3),
    ...quotaEnv,
    /** Ended messages older than this are removed with their deliveries and attempts. */
    RETENTION: env.duration('30d'),
    RETENTION_SWEEP_INTERVAL: env.duration('1m'),
  })
  .refine((vars) => vars.INTAKE_BATCH_SIZE <= vars.INTAKE_PREFETCH, {
    path: ['INTAKE_BATCH_SIZE'],
    message: 'must not exceed INTAKE_PREFETCH (a batch is filled from unacknowledged messages)',
  })
  .refine((vars) => vars.INTAKE_MAX_MESSAGE_BYTES >= MAX_MESSAGE_BYTES, {
    path: ['INTAKE_MAX_MESSAGE_BYTES'],
    message: `must be at least ${MAX_MESSAGE_BYTES} (256 KiB, the largest body the HTTP API accepts)`,
  })
  .refine((vars) => vars.LEASE_DURATION >= LEASE_MARGIN_MS + MIN_ATTEMPT_MS, {
    path: ['LEASE_DURATION'],
    message: `must be at least ${(LEASE_MARGIN_MS + MIN_ATTEMPT_MS) / 1000}s: an attempt may take the lease minus ${LEASE_MARGIN_MS / 1000}s before it is cut off`,
  })
  .refine((vars) => vars.CIRCUIT_BREAKER_MAX_COOLDOWN >= vars.CIRCUIT_BREAKER_COOLDOWN, {
    path: ['CIRCUIT_BREAKER_MAX_COOLDOWN'],
    message: 'must not be shorter than CIRCUIT_BREAKER_COOLDOWN (the first cool-down)',
  })
  .refine((vars) => vars.CIRCUIT_BREAKER_COOLDOWN >= 1_000, {
    path: ['CIRCUIT_BREAKER_COOLDOWN'],
    message: 'must be at least 1s',
  })
  .refine((vars) => vars.RETENTION_SWEEP_INTERVAL >= 100, {
    path: ['RETENTION_SWEEP_INTERVAL'],
    message: 'must be at least 100ms',
  })
  .superRefine((vars, ctx) => {
    if (vars.SMS_PROVIDER !== 'twilio') return;
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) {
      if (vars[name] === undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [name],
          message: 'is required when SMS_PROVIDER=twilio',
        });
      }
    }
  })
  .transform((vars) => ({
    mongodbUri: vars.MONGODB_URI,
    amqpUrls: vars.AMQP_URL,
    retrySchedule: vars.RETRY_SCHEDULE,
    targetAllowlist: vars.TARGET_ALLOWLIST,
    logLevel: vars.LOG_LEVEL,
    smtpUrl: vars.SMTP_URL,
    smtpFrom: vars.SMTP_FROM,
    smsProvider: vars.SMS_PROVIDER,
    smsGatewayUrl: vars.SMS_GATEWAY_URL,
    twilio:
      vars.TWILIO_ACCOUNT_SID !== undefined &&
      vars.TWILIO_AUTH_TOKEN !== undefined &&
      vars.TWILIO_FROM !== undefined
        ? {
            apiUrl: vars.TWILIO_API_URL,
            accountSid: vars.TWILIO_ACCOUNT_SID,
            authToken: vars.TWILIO_AUTH_TOKEN,
            from: vars.TWILIO_FROM,
          }
        : undefined,
    intakePrefetch: vars.INTAKE_PREFETCH,
    intakeBatchSize: vars.INTAKE_BATCH_SIZE,
    intakeMaxMessageBytes: vars.INTAKE_MAX_MESSAGE_BYTES,
    apiBrokerUser: vars.API_BROKER_USER ?? brokerUserOf(vars.AMQP_URL),
    deliveryConcurrency: vars.DELIVERY_CONCURRENCY,
    schedulerIntervalMs: vars.SCHEDULER_INTERVAL,
    leaseMs: vars.LEASE_DURATION,
    metricsPort: vars.METRICS_PORT,
    metrics: metricsConfig(vars),
    security: securityConfig(vars),
    endpointConcurrency: vars.ENDPOINT_CONCURRENCY,
    circuitBreaker: {
      openAfterFailures: vars.CIRCUIT_BREAKER_OPEN_AFTER,
      cooldownMs: vars.CIRCUIT_BREAKER_COOLDOWN,
      maxCooldownMs: vars.CIRCUIT_BREAKER_MAX_COOLDOWN,
      disableAfterFailures: vars.CIRCUIT_BREAKER_FAILURES,
      disableAfterMs: vars.CIRCUIT_BREAKER_DURATION,
    },
    poisonAfterAbandonedAttempts: vars.POISON_AFTER_ABANDONED_ATTEMPTS,
    quotas: quotaDefaults(vars),
    retentionMs: vars.RETENTION,
    retentionSweepIntervalMs: vars.RETENTION_SWEEP_INTERVAL,
  }));

export type NotifierConfig = z.output<typeof notifierConfigSchema>;
export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
