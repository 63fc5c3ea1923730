/**
 * What MongoDB's and its driver's errors mean, in one place: the codes and names below are read
 * nowhere else. Everything outside the DAL asks these questions instead.
 */

const DUPLICATE_KEY = 11000;
const NAMESPACE_EXISTS = 'NamespaceExists';
const INDEX_NOT_FOUND = 'IndexNotFound';

/**
 * Answers that mean "this document can never be stored", as opposed to "not now": BadValue,
 * Overflow (nested too deep), FailedToParse, TypeMismatch, DollarPrefixedFieldName,
 * DottedFieldName, BSONObjectTooLarge, KeyTooLong.
 */
const PERMANENT_CODES = new Set([2, 9, 14, 15, 52, 57, 10334, 17280]);
/** Raised before anything is sent: the driver cannot encode the document at all. */
const PERMANENT_NAMES = new Set(['BSONError', 'BSONVersionError', 'ValidationError', 'CastError']);

/** The driver's errors for "no server to talk to", as opposed to a bad query (a bug). */
const UNREACHABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClearedError',
]);

/**
 * One document's failure in a bulk write. The driver's WriteError has a `code` getter; mongoose's
 * lean insertMany hands back plain `{ index, err: { code } }` objects instead. Both shapes occur.
 */
export interface WriteError {
  index: number;
  code?: number;
  err?: { code?: number };
}

function codeOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as { code?: unknown; err?: { code?: unknown } };
  return candidate.code ?? candidate.err?.code;
}

/** A unique index refused the write (of an error, or of one WriteError of a bulk write). */
export function isDuplicateKey(error: unknown): boolean {
  return codeOf(error) === DUPLICATE_KEY;
}

/** A unique index over `field` (among others) refused the write. */
export function isDuplicateKeyOn(error: unknown, field: string): boolean {
  const keyPattern = (error as { keyPattern?: unknown } | null)?.keyPattern;
  return (
    isDuplicateKey(error) &&
    typeof keyPattern === 'object' &&
    keyPattern !== null &&
    field in keyPattern
  );
}

/** Creating a collection that another process created first. */
export function isNamespaceExists(error: unknown): boolean {
  return (error as { codeName?: unknown } | null)?.codeName === NAMESPACE_EXISTS;
}

/** Another process created the collection first: fine; any other error is thrown again. */
export function ignoreNamespaceExists(error: unknown): void {
  if (!isNamespaceExists(error)) throw error;
}

/** The index to drop is not there (another process dropped it first). */
export function isIndexNotFound(error: unknown): boolean {
  return (error as { codeName?: unknown } | null)?.codeName === INDEX_NOT_FOUND;
}

/** The per-document failures of a bulk write, if the error is one. */
export function writeErrorsOf(error: unknown): WriteError[] | undefined {
  if (typeof error !== 'object' || error === null || !('writeErrors' in error)) return undefined;
  const { writeErrors } = error as { writeErrors: WriteError | WriteError[] };
  return Array.isArray(writeErrors) ? writeErrors : [writeErrors];
}

/**
 * The writes may not last (say a primary shutting down). The driver reports it on the error, or on
 * the bulk result it carries; mongoose copies either.
 */
export function hasWriteConcernError(error: unknown): boolean {
  const candidate = error as {
    writeConcernError?: unknown;
    writeConcernErrors?: unknown[];
    result?: { writeConcernErrors?: unknown[]; getWriteConcernError?: () => unknown };
  };
  return (
    candidate.writeConcernError != null ||
    (candidate.writeConcernErrors?.length ?? 0) > 0 ||
    (candidate.result?.writeConcernErrors?.length ?? 0) > 0 ||
    candidate.result?.getWriteConcernError?.() != null
  );
}

/**
 * True when storing failed because of what was stored, not because MongoDB is unreachable or
 * busy: retrying the same documents would fail forever. A RangeError is the driver's serializer
 * overflowing its stack on an absurdly nested document.
 */
export function isPermanentStoreError(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, errorResponse, cause } = error as {
    name?: unknown;
    errorResponse?: unknown;
    cause?: unknown;
  };
  if (typeof name === 'string' && PERMANENT_NAMES.has(name)) return true;
  const permanent = (code: unknown) => typeof code === 'number' && PERMANENT_CODES.has(code);
  if (permanent((error as { code?: unknown }).code)) return true;
  if ((writeErrorsOf(error) ?? []).some((writeError) => permanent(codeOf(writeError)))) {
    return true;
  }
  // A bulk write that could not even encode its batch is a MongoBulkWriteError without write
  // errors, the encoder's error inside it (mongoose's insertMany: errorResponse).
  return [errorResponse, cause].some(
    (inner) => inner instanceof Error && isPermanentStoreError(inner),
  );
}

/**
 * The server's answers for "no primary here right now" (an election, a step-down, a shutdown),
 * left when the driver's one retry met the same: HostUnreachable, HostNotFound, NetworkTimeout,
 * ShutdownInProgress, PrimarySteppedDown, InterruptedAtShutdown, InterruptedDueToReplStateChange,
 * NotWritablePrimary, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, SocketException.
 */
const NO_PRIMARY_CODES = new Set([6, 7, 89, 91, 189, 11600, 11602, 10107, 13435, 13436, 9001]);

/**
 * MongoDB cannot be reached, or has no primary for now (as opposed to refusing a query): the
 * caller may try again shortly (the API answers 503).
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNREACHABLE_NAMES.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && NO_PRIMARY_CODES.has(code);
}
