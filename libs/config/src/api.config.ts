import { z } from 'zod';
import { dependencyEnv, env } from './env';

export const apiConfigSchema = z
  .object({
    ...dependencyEnv,
    PORT: env.port(3000),
    ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    PUBLISH_TIMEOUT: env.duration('5s'),
  })
  .transform((vars) => ({
    port: vars.PORT,
    mongodbUri: vars.MONGODB_URI,
    amqpUrl: vars.AMQP_URL,
    adminApiKey: vars.ADMIN_API_KEY,
    retrySchedule: vars.RETRY_SCHEDULE,
    targetAllowlist: vars.TARGET_ALLOWLIST,
    publishTimeoutMs: vars.PUBLISH_TIMEOUT,
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;
export const API_CONFIG = Symbol('API_CONFIG');
