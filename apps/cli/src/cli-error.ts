import { NotifyApiError, NotifyConnectionError } from '@app/client';

/** Exit statuses scripts can rely on (CONTRACT.md "Operator tools"). */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The request failed: not found, refused, unreachable, or the server failed. */
  failed: 1,
  /** Wrong usage: unknown command or option, a missing or malformed argument. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in how the CLI was called; exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The exit status and the message for an error a command threw. */
export function describeFailure(error: unknown): { code: ExitCode; message: string } {
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message };
  if (error instanceof NotifyApiError) {
    const details = error.details
      .map((detail) => `\n  ${detail.field}: ${detail.message}`)
      .join('');
    // 400 is the server refusing the input we were given: a usage error like a local one.
    return {
      code: error.status === 400 ? EXIT.usage : EXIT.failed,
      message: `${error.status} ${error.code}: ${error.message}${details}`,
    };
  }
  if (error instanceof NotifyConnectionError) return { code: EXIT.failed, message: error.message };
  return { code: EXIT.failed, message: error instanceof Error ? error.message : String(error) };
}

/** No answer, or the server's own trouble: a following command (tail, listen) tries again. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof NotifyConnectionError ||
    (error instanceof NotifyApiError && (error.status >= 500 || error.status === 429))
  );
}
