/** Everything the SDK throws on purpose is one of these; branch with `instanceof`. */

/**
 * One detail of an API error: the field it is about and what is wrong; a JSON Schema failure
 * (`payload_schema_mismatch`, a refused event-type schema) also has the JSON pointer and keyword.
 */
export interface ApiErrorDetail {
  field: string;
  message: string;
  pointer?: string;
  keyword?: string;
}

/** The API answered with an error status: `status` and the contract's `{ error: { code, message, details } }`. */
export class NotifyApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ApiErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'NotifyApiError';
  }
}

/** The API could not be reached (refused, DNS, timeout, connection reset). Nothing was answered. */
export class NotifyConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotifyConnectionError';
  }
}

/**
 * The broker did not confirm a publish (nack, no confirm in time, channel or connection lost,
 * unroutable) after every retry. Treat the message as NOT sent.
 */
export class UnconfirmedPublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnconfirmedPublishError';
  }
}

/** A message that the platform would refuse (it fails the `POST /v1/messages` schema). */
export class InvalidMessageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid message: ${problems.join('; ')}`);
    this.name = 'InvalidMessageError';
  }
}
