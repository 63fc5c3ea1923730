import { z } from 'zod';

/** pino's levels, from the fewest lines to the most; `silent` logs nothing. */
export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * LOG_LEVEL: the most detailed level a process writes (docs/operations.md, "Logs"). `debug` adds
 * a line per attempt.
 */
export const logLevel = z
  .enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  .default('info');
