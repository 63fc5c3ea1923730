const DUPLICATE_KEY = 11000;

/**
 * The driver's WriteError has a `code` getter; mongoose's lean insertMany hands back plain
 * `{ index, err: { code } }` objects instead. Both shapes occur.
 */
interface WriteError {
  index: number;
  code?: number;
  err?: { code?: number };
}

function isDuplicateKey(writeError: WriteError): boolean {
  return (writeError.code ?? writeError.err?.code) === DUPLICATE_KEY;
}

/** The driver reports it on the error, or on the bulk result it carries; mongoose copies either. */
function hasWriteConcernError(error: unknown): boolean {
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

function writeErrorsOf(error: unknown): WriteError[] | undefined {
  if (typeof error !== 'object' || error === null || !('writeErrors' in error)) return undefined;
  const { writeErrors } = error as { writeErrors: WriteError | WriteError[] };
  return Array.isArray(writeErrors) ? writeErrors : [writeErrors];
}

/**
 * insertMany that treats "already there" as success: intake may see the same message again after
 * a crash between the write and the ack. Returns the indexes of the documents that were duplicates.
 */
export async function insertManyIgnoringDuplicates<T extends object>(
  insert: (docs: T[]) => Promise<unknown>,
  docs: T[],
): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await insert(docs);
    return new Set();
  } catch (error) {
    const writeErrors = writeErrorsOf(error);
    // Only duplicates, and nothing else wrong: a write concern error (say a primary shutting
    // down) with no write error at all means the writes may not last, and must be retried.
    if (
      writeErrors === undefined ||
      writeErrors.length === 0 ||
      !writeErrors.every(isDuplicateKey) ||
      hasWriteConcernError(error)
    ) {
      throw error;
    }
    return new Set(writeErrors.map((writeError) => writeError.index));
  }
}
