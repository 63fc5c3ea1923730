import { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { invalidInput, validationError } from '@app/common';

/** Parses a body or query with its zod contract; failures become a 400 naming each bad field. */
export class ZodPipe<S extends z.ZodTypeAny> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request body',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value ?? {});
    if (!result.success) throw validationError(result.error, this.what);
    return result.data as z.output<S>;
  }
}

/**
 * Parses a query string with its contract. No parameter takes several values, so one given
 * twice (`?limit=5&limit=6`, which arrives as a list) is refused as such, rather than as whatever
 * its contract makes of a list ("Expected number, received nan").
 */
export class ZodQueryPipe<S extends z.ZodTypeAny> extends ZodPipe<S> {
  constructor(schema: S) {
    super(schema, 'query');
  }

  override transform(value: unknown): z.output<S> {
    const repeated = Object.entries((value ?? {}) as Record<string, unknown>).filter(
      (entry): entry is [string, unknown[]] => Array.isArray(entry[1]),
    );
    if (repeated.length > 0) {
      throw invalidInput(
        repeated.map(([name, values]) => ({
          field: name,
          message: `is given ${values.length} times: give it once`,
        })),
        'query',
      );
    }
    return super.transform(value);
  }
}
