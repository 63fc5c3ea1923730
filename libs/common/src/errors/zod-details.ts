import type { ZodError } from 'zod';
import { AppError, ErrorCode, type ErrorDetail } from './app-error';

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.flatMap((issue) =>
    // An unknown field is named itself, not the object around it: "dry_run", not "(body)".
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: [...issue.path, key].join('.'),
          message: 'is not a field of this request',
        }))
      : [
          {
            field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
            message: issue.message,
          },
        ],
  );
}

export function validationError(error: ZodError, what = 'request body'): AppError {
  return invalidInput(zodDetails(error), what);
}

/** A 400 for these bad fields of `what` (a request body, a query...), naming them. */
export function invalidInput(details: ErrorDetail[], what = 'request body'): AppError {
  const fields = details.map((detail) => detail.field).join(', ');
  return new AppError(
    ErrorCode.ValidationFailed,
    `The ${what} is invalid: check ${fields}`,
    details,
  );
}
