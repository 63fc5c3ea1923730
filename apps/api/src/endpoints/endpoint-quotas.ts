import { AppError, ErrorCode, type ErrorDetail } from '@app/common';
import type { AppQuotas } from '@app/contracts';

/** The parts of an endpoint, as created or changed, that an app's quotas bound. */
export interface QuotaBoundFields {
  retrySchedule?: readonly number[] | null;
  eventTypes?: readonly string[];
  headers?: Readonly<Record<string, string>>;
  template?: { subject?: string; text?: string; html?: string } | null;
}

/**
 * What in these fields goes beyond the app's quotas, one detail per field (the endpoint contract
 * already bounded each on its own; these bounds are the app's and can be set per app).
 */
export function endpointQuotaProblems(fields: QuotaBoundFields, quotas: AppQuotas): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const schedule = fields.retrySchedule ?? [];
  if (schedule.length > quotas.retryScheduleLength) {
    problems.push({
      field: 'retrySchedule',
      message: `must have at most ${quotas.retryScheduleLength} delays (quota retryScheduleLength)`,
    });
  }
  schedule.forEach((delay, index) => {
    if (delay < quotas.minRetryDelay) {
      problems.push({
        field: `retrySchedule.${index}`,
        message: `must be at least ${quotas.minRetryDelay} ms (quota minRetryDelay)`,
      });
    }
  });
  if (fields.eventTypes !== undefined && fields.eventTypes.length > quotas.eventTypesPerEndpoint) {
    problems.push({
      field: 'eventTypes',
      message: `must have at most ${quotas.eventTypesPerEndpoint} entries (quota eventTypesPerEndpoint)`,
    });
  }
  const headerBytes = Object.entries(fields.headers ?? {}).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );
  if (headerBytes > quotas.headersBytes) {
    problems.push({
      field: 'headers',
      message: `must hold at most ${quotas.headersBytes} bytes of names and values, not ${headerBytes} (quota headersBytes)`,
    });
  }
  const template = fields.template ?? {};
  const templateBytes = [template.subject, template.text, template.html].reduce(
    (sum, part) => sum + (part === undefined ? 0 : Buffer.byteLength(part)),
    0,
  );
  if (templateBytes > quotas.templateBytes) {
    problems.push({
      field: 'template',
      message: `must hold at most ${quotas.templateBytes} bytes in subject, text and html together, not ${templateBytes} (quota templateBytes)`,
    });
  }
  return problems;
}

/** Throws a 400 naming each field over the app's quotas. */
export function checkEndpointQuotas(fields: QuotaBoundFields, quotas: AppQuotas): void {
  const problems = endpointQuotaProblems(fields, quotas);
  if (problems.length === 0) return;
  throw new AppError(
    ErrorCode.ValidationFailed,
    `The request body is over this app's quotas: check ${problems.map((p) => p.field).join(', ')}`,
    problems,
  );
}

export function endpointsQuotaExceeded(limit: number): AppError {
  return new AppError(
    ErrorCode.QuotaExceeded,
    `This app has its ${limit} endpoints already (quota endpoints): delete one, or ask an admin for a higher quota`,
  );
}
