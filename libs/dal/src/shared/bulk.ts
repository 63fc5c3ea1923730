import { hasWriteConcernError, isDuplicateKey, writeErrorsOf } from './mongo-errors';

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
