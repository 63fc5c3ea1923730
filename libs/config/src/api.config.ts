import { z } from 'zod';
import { brokerUserOf } from './broker-user';
import { dependencyEnv, env } from './env';
import { quotaDefaults, quotaEnv } from './quota.config';
import { metricsConfig, metricsEnv } from './metrics.config';
import { tracingEnv } from './tracing.config';
import { securityConfig, securityEnv, trustProxy } from './security.config';

/** The shortest admin key production accepts (16 elsewhere). */
export const PRODUCTION_ADMIN_KEY_LENGTH = 32;

export const apiConfigSchema = z
  .object({
    ...dependencyEnv,
    PORT: env.port(3000),
    ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    PUBLISH_TIMEOUT: env.duration('5s'),
    ...securityEnv,
    ...metricsEnv,
    // Read by startTracing before anything else loads; refused here, at boot, when malformed.
    ...tracingEnv,
    /** Unknown credentials from one client address before it is answered 429 for the window. */
    AUTH_FAILURE_LIMIT: env.positiveInt(10),
    AUTH_FAILURE_WINDOW: env.duration('1m'),
    TRUST_PROXY: trustProxy,
    ...quotaEnv,
    /** Secret rotations one endpoint may make per window (each one is a write and a new HMAC key). */
    SECRET_ROTATION_LIMIT: env.positiveInt(10),
    SECRET_ROTATION_WINDOW: env.duration('1h'),
  })
  .superRefine((vars, ctx) => {
    // In production every API process must share one admin key, long enough not to be guessed.
    if (vars.NODE_ENV !== 'production') return;
    const key = vars.ADMIN_API_KEY;
    if (key !== undefined && key.length >= PRODUCTION_ADMIN_KEY_LENGTH) return;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['ADMIN_API_KEY'],
      message:
        key === undefined
          ? `is required when NODE_ENV=production (at least ${PRODUCTION_ADMIN_KEY_LENGTH} random characters: openssl rand -hex 32)`
          : `must be at least ${PRODUCTION_ADMIN_KEY_LENGTH} characters when NODE_ENV=production (openssl rand -hex 32)`,
    });
  })
  .transform((vars) => ({
    port: vars.PORT,
    mongodbUri: vars.MONGODB_URI,
    amqpUrls: vars.AMQP_URL,
    /** Set as the user-id of every message the API publishes (docs/operations.md). */
    brokerUser: brokerUserOf(vars.AMQP_URL),
    adminApiKey: vars.ADMIN_API_KEY,
    retrySchedule: vars.RETRY_SCHEDULE,
    targetAllowlist: vars.TARGET_ALLOWLIST,
    logLevel: vars.LOG_LEVEL,
    publishTimeoutMs: vars.PUBLISH_TIMEOUT,
    security: securityConfig(vars),
    metrics: metricsConfig(vars),
    authFailureLimit: vars.AUTH_FAILURE_LIMIT,
    authFailureWindowMs: vars.AUTH_FAILURE_WINDOW,
    trustProxy: vars.TRUST_PROXY,
    quotas: quotaDefaults(vars),
    secretRotationLimit: { max: vars.SECRET_ROTATION_LIMIT, windowMs: vars.SECRET_ROTATION_WINDOW },
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;
export const API_CONFIG = Symbol('API_CONFIG');
