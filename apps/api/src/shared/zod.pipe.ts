import { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { validationError } from '@app/common';

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
