import { isoTimeSchema, publishMessageSchema, type PublishMessage } from '@app/contracts';
import { parseDuration } from '@app/retry-policy';
import type { ZodError } from 'zod';
import { UsageError } from './cli-error';

/**
 * A point in time: ISO 8601 (`2026-11-26T08:00:00Z`), or a duration meaning that long ago
 * (`90m`, `2h`, `1d`).
 */
export function parseTimeArg(flag: string, value: string, now = new Date()): Date {
  const iso = isoTimeSchema.safeParse(value);
  if (iso.success) return iso.data;
  try {
    return new Date(now.getTime() - parseDuration(value));
  } catch {
    throw new UsageError(
      `${flag} must be an ISO 8601 time (2026-11-26T08:00:00Z) or a duration ago (90m, 2h, 1d); got "${value}"`,
    );
  }
}

export function parseDurationArg(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

/** The publish body from the flags, checked against the contract before anything is sent. */
export function buildPublishMessage(options: {
  eventType: string;
  payload: string;
  idempotencyKey?: string | undefined;
  endpoint?: string[] | undefined;
}): PublishMessage {
  const payload = parseJsonArg('--payload', options.payload);
  const parsed = publishMessageSchema.safeParse({
    eventType: options.eventType,
    payload,
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    ...(options.endpoint === undefined || options.endpoint.length === 0
      ? {}
      : { endpointIds: options.endpoint }),
  });
  if (parsed.success) return parsed.data;
  throw usageErrorOf(parsed.error, {
    eventType: '--event-type',
    payload: '--payload',
    idempotencyKey: '--idempotency-key',
    endpointIds: '--endpoint',
  });
}

/** A body the contract refused, as a usage error naming the flag each field came from. */
export function usageErrorOf(error: ZodError, flagOf: Record<string, string>): UsageError {
  return new UsageError(
    error.issues
      .map((issue) => {
        const field = String(issue.path[0] ?? '');
        return field === '' ? issue.message : `${flagOf[field] ?? field}: ${issue.message}`;
      })
      .join('\n'),
  );
}

function parseJsonArg(flag: string, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} is not JSON: ${(error as Error).message}`);
  }
}

/** A flag holding a JSON object (`--data`). */
export function parseJsonObjectArg(flag: string, value: string): Record<string, unknown> {
  const parsed = parseJsonArg(flag, value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${flag}: must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
