import { z } from 'zod';
import { brokerUserOf } from './broker-user';
import { dependencyEnv, env } from './env';
import { securityConfig, securityEnv, trustProxy } from './security.config';

export const apiConfigSchema = z
  .object({
    ...dependencyEnv,
    PORT: env.port(3000),
    ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    PUBLISH_TIMEOUT: env.duration('5s'),
    ...securityEnv,
    /** Unknown credentials from one client address before it is answered 429 for the window. */
    AUTH_FAILURE_LIMIT: env.positiveInt(10),
    AUTH_FAILURE_WINDOW: env.duration('1m'),
    TRUST_PROXY: trustProxy,
  })
  .transform((vars) => ({
    port: vars.PORT,
    mongodbUri: vars.MONGODB_URI,
    amqpUrl: vars.AMQP_URL,
    /** Set as the user-id of every message the API publishes (docs/operations.md). */
    brokerUser: brokerUserOf(vars.AMQP_URL),
    adminApiKey: vars.ADMIN_API_KEY,
    retrySchedule: vars.RETRY_SCHEDULE,
    targetAllowlist: vars.TARGET_ALLOWLIST,
    logLevel: vars.LOG_LEVEL,
    publishTimeoutMs: vars.PUBLISH_TIMEOUT,
    security: securityConfig(vars),
    authFailureLimit: vars.AUTH_FAILURE_LIMIT,
    authFailureWindowMs: vars.AUTH_FAILURE_WINDOW,
    trustProxy: vars.TRUST_PROXY,
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;
export const API_CONFIG = Symbol('API_CONFIG');
