import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import type { ErrorBody } from '@app/contracts';
import { AppError, ErrorCode } from '../errors/app-error';

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.ValidationFailed:
    case ErrorCode.PayloadSchemaMismatch:
    case ErrorCode.UnregisteredEventType:
      return HttpStatus.BAD_REQUEST;
    case ErrorCode.Unauthorized:
      return HttpStatus.UNAUTHORIZED;
    case ErrorCode.Forbidden:
      return HttpStatus.FORBIDDEN;
    case ErrorCode.NotFound:
      return HttpStatus.NOT_FOUND;
    case ErrorCode.Conflict:
    case ErrorCode.QuotaExceeded:
      return HttpStatus.CONFLICT;
    case ErrorCode.PayloadTooLarge:
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case ErrorCode.RateLimited:
    case ErrorCode.MessagesPerSecondExceeded:
    case ErrorCode.SecretRotationRateLimited:
    case ErrorCode.AuthFailureRateLimited:
      return HttpStatus.TOO_MANY_REQUESTS;
    case ErrorCode.DependencyUnavailable:
      return HttpStatus.SERVICE_UNAVAILABLE;
  }
}

/** Body-parser and routing errors reach us as HttpExceptions; give them the contract's shape. */
function fromHttpException(exception: HttpException): { status: number; body: ErrorBody } {
  const status = exception.getStatus();
  const codes: Record<number, string> = {
    400: ErrorCode.ValidationFailed,
    401: ErrorCode.Unauthorized,
    403: ErrorCode.Forbidden,
    404: ErrorCode.NotFound,
    405: 'method_not_allowed',
    409: ErrorCode.Conflict,
    413: ErrorCode.PayloadTooLarge,
    415: 'unsupported_media_type',
    429: ErrorCode.RateLimited,
  };
  const message =
    status === 413
      ? 'The request body is larger than 256 KiB: send a smaller payload'
      : status === 400
        ? `The request could not be read: ${exception.message} (send a valid JSON body)`
        : exception.message;
  return {
    status,
    body: { error: { code: codes[status] ?? 'http_error', message, details: [] } },
  };
}

/** Turns another layer's error (say the DAL's) into an AppError; undefined for any other. */
export type ToAppError = (exception: unknown) => AppError | undefined;

@Catch()
export class AppErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(AppErrorFilter.name);

  constructor(private readonly toAppError: ToAppError) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    const exception = this.toAppError(thrown) ?? thrown;
    const response = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.translate(exception);
    if (status >= 500 && status !== 503) this.logger.error(exception);
    if (exception instanceof AppError && exception.retryAfterSeconds !== undefined) {
      response.setHeader('retry-after', String(exception.retryAfterSeconds));
    }
    response.status(status).json(body);
  }

  private translate(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof AppError) {
      return {
        status: statusOf(exception.code),
        body: {
          error: {
            code: exception.code,
            message: exception.message,
            details: [...exception.details],
          },
        },
      };
    }
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (isBodyParserError(exception)) {
      return fromHttpException(new HttpException(exception.message, exception.status));
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        error: { code: 'internal_error', message: 'An unexpected error occurred', details: [] },
      },
    };
  }
}

function isBodyParserError(value: unknown): value is { status: number; message: string } {
  return (
    value instanceof Error &&
    'status' in value &&
    typeof value.status === 'number' &&
    value.status >= 400 &&
    value.status < 500
  );
}
