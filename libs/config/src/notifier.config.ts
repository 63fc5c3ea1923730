import { z } from 'zod';
import { dependencyEnv, env } from './env';

export const notifierConfigSchema = z
  .object({
    ...dependencyEnv,
    SMTP_URL: env.optionalUrl(['smtp:', 'smtps:']),
    SMS_PROVIDER: z.enum(['http']).default('http'),
    SMS_GATEWAY_URL: env.optionalUrl(['http:', 'https:']),
    INTAKE_PREFETCH: env.positiveInt(500),
    INTAKE_BATCH_SIZE: env.positiveInt(200),
    DELIVERY_CONCURRENCY: env.positiveInt(200),
    SCHEDULER_INTERVAL: env.duration('250ms'),
    LEASE_DURATION: env.duration('90s'),
  })
  .refine((vars) => vars.INTAKE_BATCH_SIZE <= vars.INTAKE_PREFETCH, {
    path: ['INTAKE_BATCH_SIZE'],
    message: 'must not exceed INTAKE_PREFETCH (a batch is filled from unacknowledged messages)',
  })
  .refine((vars) => vars.LEASE_DURATION >= 15_000, {
    path: ['LEASE_DURATION'],
    message: 'must be at least 15s: an attempt may take the lease minus 10s before it is cut off',
  })
  .transform((vars) => ({
    mongodbUri: vars.MONGODB_URI,
    amqpUrl: vars.AMQP_URL,
    retrySchedule: vars.RETRY_SCHEDULE,
    targetAllowlist: vars.TARGET_ALLOWLIST,
    smtpUrl: vars.SMTP_URL,
    smsProvider: vars.SMS_PROVIDER,
    smsGatewayUrl: vars.SMS_GATEWAY_URL,
    intakePrefetch: vars.INTAKE_PREFETCH,
    intakeBatchSize: vars.INTAKE_BATCH_SIZE,
    deliveryConcurrency: vars.DELIVERY_CONCURRENCY,
    schedulerIntervalMs: vars.SCHEDULER_INTERVAL,
    leaseMs: vars.LEASE_DURATION,
  }));

export type NotifierConfig = z.output<typeof notifierConfigSchema>;
export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
