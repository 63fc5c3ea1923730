import { z } from 'zod';
import { ErrorCode } from './app-error';
import { validationError, zodDetails } from './zod-details';

const schema = z
  .object({ name: z.string(), nested: z.object({ n: z.number() }).strict().optional() })
  .strict();

function detailsOf(value: unknown) {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a failure');
  return zodDetails(result.error);
}

describe('zodDetails', () => {
  it('names each bad field by its path', () => {
    expect(detailsOf({ name: 1, nested: { n: 'x' } }).map((d) => d.field)).toEqual([
      'name',
      'nested.n',
    ]);
  });

  it('names each unknown field itself, nested ones by their path', () => {
    const details = detailsOf({ name: 'a', dry_run: true, extra: 1, nested: { n: 1, m: 2 } });
    expect(details.sort((x, y) => x.field.localeCompare(y.field))).toEqual([
      { field: 'dry_run', message: 'is not a field of this request' },
      { field: 'extra', message: 'is not a field of this request' },
      { field: 'nested.m', message: 'is not a field of this request' },
    ]);
  });

  it('says "(body)" when the whole value is wrong', () => {
    expect(detailsOf('text').map((d) => d.field)).toEqual(['(body)']);
  });

  it('builds a validation error naming the fields in its message', () => {
    const result = schema.safeParse({});
    const error = validationError(result.error!, 'query');
    expect(error.code).toBe(ErrorCode.ValidationFailed);
    expect(error.message).toBe('The query is invalid: check name');
  });
});
