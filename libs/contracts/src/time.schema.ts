import { z } from 'zod';

/** A request time: ISO 8601 with a UTC `Z` or an offset (`2026-11-26T08:00:00.000Z`). */
export const isoTimeSchema = z
  .string({ invalid_type_error: 'must be an ISO 8601 time such as 2026-11-26T08:00:00.000Z' })
  .datetime({
    offset: true,
    message: 'must be an ISO 8601 time such as 2026-11-26T08:00:00.000Z',
  })
  .transform((value) => new Date(value));

/** Response times are ISO 8601 UTC strings. */
export const isoTimeView = z.string().datetime().describe('ISO 8601 UTC time');
