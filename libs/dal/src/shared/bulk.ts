const DUPLICATE_KEY = 11000;

interface WriteError {
  index: number;
  code: number;
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
    if (writeErrors === undefined || writeErrors.some((e) => e.code !== DUPLICATE_KEY)) throw error;
    return new Set(writeErrors.map((writeError) => writeError.index));
  }
}
