import {
  createEndpointSchema,
  updateEndpointSchema,
  type CreateEndpoint,
  type UpdateEndpoint,
} from '@app/contracts';
import { parseDurationArg, parseJsonObjectArg, usageErrorOf } from '../args';
import { parseDurationList } from '@app/retry-policy';
import { UsageError } from '../cli-error';

/** The flags of `notify endpoints create` and `update`; `--data` holds any other field. */
export interface EndpointFlags {
  channel?: string;
  endpointUrl?: string;
  to?: string;
  eventType?: string[];
  retrySchedule?: string;
  timeout?: string;
  header?: string[];
  description?: string;
  fallback?: string;
  enable?: boolean;
  disable?: boolean;
  data?: string;
}

/** Which flag sets each field, so the contract's complaints name what the user typed. */
const FLAG_OF: Record<string, string> = {
  channel: '--channel',
  url: '--endpoint-url',
  to: '--to',
  eventTypes: '--event-type',
  retrySchedule: '--retry-schedule',
  timeoutMs: '--timeout',
  headers: '--header',
  description: '--description',
  fallbackEndpointId: '--fallback',
  enabled: '--enable/--disable',
};

/** POST /v1/endpoints from the flags (channel `webhook` unless given), checked before sending. */
export function buildCreateEndpoint(flags: EndpointFlags): CreateEndpoint {
  const parsed = createEndpointSchema.safeParse({
    channel: 'webhook',
    ...fieldsOf(flags),
  });
  if (parsed.success) return parsed.data;
  throw usageErrorOf(parsed.error, FLAG_OF);
}

/** PATCH /v1/endpoints/:id from the flags: only what was given; `--data` may set null. */
export function buildUpdateEndpoint(flags: EndpointFlags): UpdateEndpoint {
  if (flags.channel !== undefined) {
    throw new UsageError("--channel: an endpoint's channel cannot change");
  }
  const fields = fieldsOf(flags);
  if (Object.keys(fields).length === 0) {
    throw new UsageError('nothing to change: give at least one field (see --help)');
  }
  const parsed = updateEndpointSchema.safeParse(fields);
  if (parsed.success) return parsed.data;
  throw usageErrorOf(parsed.error, FLAG_OF);
}

function fieldsOf(flags: EndpointFlags): Record<string, unknown> {
  if (flags.enable && flags.disable)
    throw new UsageError('--enable and --disable exclude each other');
  const fromFlags: Record<string, unknown> = {
    channel: flags.channel,
    url: flags.endpointUrl,
    to: flags.to,
    eventTypes: flags.eventType,
    retrySchedule:
      flags.retrySchedule === undefined ? undefined : parseScheduleArg(flags.retrySchedule),
    timeoutMs:
      flags.timeout === undefined ? undefined : parseDurationArg('--timeout', flags.timeout),
    headers: flags.header === undefined ? undefined : parseHeaders(flags.header),
    description: flags.description,
    fallbackEndpointId: flags.fallback,
    enabled: flags.disable ? false : flags.enable,
  };
  return {
    ...(flags.data === undefined ? {} : parseJsonObjectArg('--data', flags.data)),
    ...Object.fromEntries(Object.entries(fromFlags).filter(([, value]) => value !== undefined)),
  };
}

/** `15s,1m,5m` -> [15000, 60000, 300000]; `none` -> [] (one attempt, no retries). */
function parseScheduleArg(value: string): number[] {
  if (value.trim() === 'none') return [];
  try {
    return parseDurationList(value);
  } catch (error) {
    throw new UsageError(`--retry-schedule: ${(error as Error).message}`);
  }
}

/** `--header 'X-Team: payments'` (repeatable) -> { 'X-Team': 'payments' }. */
function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must be "Name: value"; got "${value}"`);
    headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
  }
  return headers;
}
