/** One reason a payload does not match a schema, or a schema is not one the platform takes. */
export interface SchemaFailure {
  /** JSON pointer into what was checked (the payload, or the schema): "/amount", "" for the whole. */
  pointer: string;
  /** The JSON Schema keyword that failed ("type", "required", "pattern", ...). */
  keyword: string;
  message: string;
}

/** Failures reported at most for one payload or schema; `total` says how many there were. */
export const MAX_REPORTED_FAILURES = 20;

export interface SchemaFailures {
  failures: SchemaFailure[];
  /** How many failures were found; more than failures.length when they were cut. */
  total: number;
}

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** "/amount: must be number (type); ...", cut to MAX_REPORTED_FAILURES, for logs and x-error. */
export function describeFailures({ failures, total }: SchemaFailures): string {
  const listed = failures
    .map((failure) => `${failure.pointer || '(root)'}: ${failure.message} (${failure.keyword})`)
    .join('; ');
  return total > failures.length ? `${listed}; and ${total - failures.length} more` : listed;
}
