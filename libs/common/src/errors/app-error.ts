/** Every failure the API reports has one of these codes; the HTTP filter maps each to a status. */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  /** A payload does not match its event type's schema (400); details carry JSON pointers. */
  PayloadSchemaMismatch = 'payload_schema_mismatch',
  /** The app accepts only registered event types (requireRegisteredEventTypes), and this is not one (400). */
  UnregisteredEventType = 'unregistered_event_type',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  PayloadTooLarge = 'payload_too_large',
  RateLimited = 'rate_limited',
  /** An app's messagesPerSecond quota (429). */
  MessagesPerSecondExceeded = 'messages_per_second_exceeded',
  /** A quota on a stored resource, such as endpoints per app (409). */
  QuotaExceeded = 'quota_exceeded',
  /** POST /v1/endpoints/:id/rotate-secret more often than SECRET_ROTATION_LIMIT per window. */
  SecretRotationRateLimited = 'secret_rotation_rate_limited',
  /** Unknown credentials from one client address over AUTH_FAILURE_LIMIT per window. */
  AuthFailureRateLimited = 'auth_failure_rate_limited',
  DependencyUnavailable = 'dependency_unavailable',
}

export interface ErrorDetail {
  field: string;
  message: string;
  /** With a JSON Schema failure: the JSON pointer into the payload or schema checked ("/amount"). */
  pointer?: string;
  /** With a JSON Schema failure: the keyword that failed ("type", "required"). */
  keyword?: string;
}

export class AppError extends Error {
  /** Sent as Retry-After (whole seconds) with a 429 or a 503. */
  retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** A 429; `code` names the limit when it is one of its own. */
  static rateLimited(
    message: string,
    retryAfterMs: number,
    code: ErrorCode = ErrorCode.RateLimited,
  ): AppError {
    const error = new AppError(code, message);
    error.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return error;
  }

  static notFound(what: string, id: string): AppError {
    return new AppError(ErrorCode.NotFound, `${what} ${id} does not exist`);
  }

  static unavailable(dependency: string, why: string): AppError {
    return new AppError(
      ErrorCode.DependencyUnavailable,
      `${dependency} is unavailable (${why}); retry shortly`,
    );
  }
}
