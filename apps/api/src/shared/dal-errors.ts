import { AppError, ErrorCode, type ToAppError } from '@app/common';
import { InvalidCursorError, isDatabaseUnreachable } from '@app/dal';

/** What the DAL's errors mean to an API client (the AppErrorFilter answers with it). */
export const appErrorOfDal: ToAppError = (exception) => {
  if (exception instanceof InvalidCursorError) {
    return new AppError(
      ErrorCode.ValidationFailed,
      `The ${exception.label} is not one this API issued`,
      [
        {
          field: exception.field,
          message: 'pass back a nextCursor exactly as a previous page returned it',
        },
      ],
    );
  }
  if (isDatabaseUnreachable(exception)) {
    return AppError.unavailable('MongoDB', 'the database cannot be reached');
  }
  return undefined;
};
