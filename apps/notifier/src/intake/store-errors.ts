/**
 * MongoDB's answers that mean "this document can never be stored", as opposed to "not now":
 * BadValue, Overflow (nested too deep), FailedToParse, TypeMismatch, DollarPrefixedFieldName,
 * DottedFieldName, BSONObjectTooLarge, KeyTooLong.
 */
const PERMANENT_CODES = new Set([2, 9, 14, 15, 52, 57, 10334, 17280]);
/** Raised before anything is sent: the driver cannot encode the document at all. */
const PERMANENT_NAMES = new Set(['BSONError', 'BSONVersionError', 'ValidationError', 'CastError']);

interface MaybeMongoError {
  name?: unknown;
  code?: unknown;
  writeErrors?: unknown;
  errorLabels?: unknown;
}

/**
 * True when storing failed because of what was stored, not because MongoDB is unreachable or
 * busy: retrying the same messages would fail forever and block intake. A RangeError is the
 * driver's serializer overflowing its stack on an absurdly nested document.
 */
export function isPermanentStoreError(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as MaybeMongoError;
  if (typeof candidate.name === 'string' && PERMANENT_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'number' && PERMANENT_CODES.has(candidate.code)) return true;
  const writeErrors = Array.isArray(candidate.writeErrors)
    ? (candidate.writeErrors as MaybeMongoError[])
    : [];
  return writeErrors.some((writeError) => {
    const code = writeError.code ?? (writeError as { err?: { code?: unknown } }).err?.code;
    return typeof code === 'number' && PERMANENT_CODES.has(code);
  });
}
