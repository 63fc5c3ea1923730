import { z } from 'zod';
import { env } from './env';

/** GET /metrics, on the API and on a notifier's METRICS_PORT. */
export const metricsEnv = {
  /** When set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How long the backlog gauge's count (over the deliveries collection) is reused across scrapes. */
  METRICS_BACKLOG_MAX_AGE: env.duration('15s'),
};

export interface MetricsConfig {
  token: string | undefined;
  backlogMaxAgeMs: number;
}

export function metricsConfig(vars: {
  METRICS_TOKEN?: string | undefined;
  METRICS_BACKLOG_MAX_AGE: number;
}): MetricsConfig {
  return { token: vars.METRICS_TOKEN, backlogMaxAgeMs: vars.METRICS_BACKLOG_MAX_AGE };
}
