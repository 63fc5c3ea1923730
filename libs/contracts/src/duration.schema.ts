import { z } from 'zod';
import { parseDuration } from '@app/retry-policy';

/** A request duration: a number of ms or a string with a unit; always milliseconds after parsing. */
export const durationSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
});
