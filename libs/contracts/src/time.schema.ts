import { z } from 'zod';

/** A request time: ISO 8601 with a UTC `Z` or an offset (`2026-11-26T08:00:00.000Z`). */
export const isoTimeSchema = z
  .string({ invalid_type_error: 'must be an ISO 8601 time such as 2026-11-26T08:00:00.000Z' })
  .datetime({
    offset: true,
    message: 'must be an ISO 8601 time such as 2026-11-26T08:00:00.000Z',
  })
  .transform((value) => new Date(value))
  // The format allows offsets no clock has ("+99:99"), which would make an Invalid Date.
  .refine((date) => !Number.isNaN(date.getTime()), {
    message: 'is not a time: its UTC offset must be within -23:59 and +23:59',
  });

/** Response times are ISO 8601 UTC strings. */
export const isoTimeView = z.string().datetime().describe('ISO 8601 UTC time');
