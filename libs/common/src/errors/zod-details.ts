import type { ZodError } from 'zod';
import { AppError, ErrorCode, type ErrorDetail } from './app-error';

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
}

export function validationError(error: ZodError, what = 'request body'): AppError {
  const details = zodDetails(error);
  const fields = details.map((detail) => detail.field).join(', ');
  return new AppError(
    ErrorCode.ValidationFailed,
    `The ${what} is invalid: check ${fields}`,
    details,
  );
}
