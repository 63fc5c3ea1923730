import { z } from 'zod';
import { parseDuration } from '@app/retry-policy';

/**
 * A request duration: a number of ms or a string with a unit; always milliseconds after parsing.
 * At most MAX_DURATION_MS (365 days), so that `now + duration` is always a date.
 */
export const durationSchema = z
  .union([z.number(), z.string()])
  .describe('milliseconds, or a number with a unit ms, s, m, h or d ("15s"); at most 365d')
  .transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  });
