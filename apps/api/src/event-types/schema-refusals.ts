import { AppError, ErrorCode, type ErrorDetail } from '@app/common';
import type { CatalogVerdict, SchemaFailures } from '@app/event-catalog';

/** `field` is where the failure is in the request body: `payload/amount`, `schema/properties/a`. */
function detailsOf(within: string, { failures }: SchemaFailures): ErrorDetail[] {
  return failures.map(({ pointer, keyword, message }) => ({
    field: `${within}${pointer}`,
    pointer,
    keyword,
    message,
  }));
}

function counted({ failures, total }: SchemaFailures): string {
  return total > failures.length ? ` (${failures.length} of ${total} failures shown)` : '';
}

/** 400 payload_schema_mismatch: one detail per failure, pointing into the payload. */
export function payloadMismatch(
  eventType: string,
  version: number,
  failures: SchemaFailures,
): AppError {
  return new AppError(
    ErrorCode.PayloadSchemaMismatch,
    `The payload does not match the schema of event type ${eventType} (version ${version})${counted(failures)}`,
    detailsOf('payload', failures),
  );
}

/** 400 validation_failed for a schema the platform does not take, pointing into the schema. */
export function schemaRefused(failures: SchemaFailures): AppError {
  return new AppError(
    ErrorCode.ValidationFailed,
    `The schema is not one this platform accepts (JSON Schema 2020-12, local $ref only, RE2 patterns)${counted(failures)}`,
    detailsOf('schema', failures),
  );
}

/** 400 validation_failed naming the example that does not match the schema. */
export function exampleMismatch(index: number, failures: SchemaFailures): AppError {
  return new AppError(
    ErrorCode.ValidationFailed,
    `examples.${index} does not match the schema${counted(failures)}`,
    detailsOf(`examples.${index}`, failures),
  );
}

/** Throws the refusal a catalog verdict stands for (nothing when the message may go). */
export function throwIfRefused(eventType: string, verdict: CatalogVerdict): void {
  if (verdict.ok) return;
  switch (verdict.reason) {
    case 'unregistered':
      throw new AppError(
        ErrorCode.UnregisteredEventType,
        `Event type ${eventType} is not registered: this app accepts only registered event types (PUT /v1/event-types/${eventType} registers it)`,
        [{ field: 'eventType', message: 'is not a registered event type of this app' }],
      );
    case 'schema_mismatch':
      throw payloadMismatch(eventType, verdict.version, verdict.failures);
  }
}
