import { z } from 'zod';
import { durationSchema } from './duration.schema';

/** The longest an old app key may stay valid after a rotation. */
export const MAX_KEY_GRACE_MS = 30 * 24 * 60 * 60 * 1000;
/** The old key's grace period when the request names none, as for webhook secrets. */
export const DEFAULT_KEY_GRACE_MS = 24 * 60 * 60 * 1000;

export const rotateAppKeySchema = z
  .object({
    gracePeriod: durationSchema
      .pipe(z.number().max(MAX_KEY_GRACE_MS, 'must be at most 30 days'))
      .default(DEFAULT_KEY_GRACE_MS)
      .describe(
        'How long the old key keeps working: a duration (ms, or "15m", "2h", "1d"), at most 30 days; 0 revokes it at once. Default 24 h.',
      ),
  })
  .strict();

export type RotateAppKey = z.output<typeof rotateAppKeySchema>;

export const rotatedAppKeySchema = z.object({
  apiKey: z.string().describe('The new app key, shown only here; store it'),
});
