/**
 * A cursor is the position of the last item returned: its sort time and id, so walking never
 * skips or repeats an item even while new ones arrive. Opaque to clients (base64url JSON).
 */
export interface CursorPosition {
  at: Date;
  id: string;
}

/**
 * A cursor that is not one this store issued (or is another list's): the caller's input is
 * wrong. `field` is the query parameter it came in, `label` what to call it.
 */
export class InvalidCursorError extends Error {
  constructor(
    readonly field: string,
    readonly label: string = field,
  ) {
    super(`the ${label} is not a cursor this store issued`);
    this.name = 'InvalidCursorError';
  }
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at.getTime(), position.id])).toString('base64url');
}

/** The range of a JavaScript Date: a cursor time outside it would be an Invalid Date. */
const MAX_DATE_MS = 8.64e15;

export function decodeCursor(cursor: string, field = 'cursor'): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      Number.isSafeInteger(parsed[0]) &&
      Math.abs(parsed[0] as number) <= MAX_DATE_MS &&
      typeof parsed[1] === 'string'
    ) {
      return { at: new Date(parsed[0] as number), id: parsed[1] };
    }
  } catch {
    // fall through: not one of ours
  }
  throw new InvalidCursorError(field);
}

/** Filter for the items after `position` in (field, _id) order, descending or ascending. */
export function afterPosition(field: string, position: CursorPosition, direction: 1 | -1) {
  const op = direction === 1 ? '$gt' : '$lt';
  return {
    $or: [{ [field]: { [op]: position.at } }, { [field]: position.at, _id: { [op]: position.id } }],
  };
}

/** Callers fetch `limit + 1` items: the extra one only tells whether another page exists. */
export function paginate<T extends { _id: string }>(
  items: T[],
  limit: number,
  sortTime: (item: T) => Date,
): { items: T[]; nextCursor: string | null } {
  if (items.length <= limit) return { items, nextCursor: null };
  const pageItems = items.slice(0, limit);
  const last = pageItems[pageItems.length - 1]!;
  return { items: pageItems, nextCursor: encodeCursor({ at: sortTime(last), id: last._id }) };
}

/**
 * A position in a sequence (the inbox, a message's attempts): opaque like the others, and told
 * apart from them, so a cursor from another list is refused instead of misread.
 */
const SEQUENCE_TAG = 'seq';

export function encodeSequenceCursor(position: number): string {
  return Buffer.from(JSON.stringify([SEQUENCE_TAG, position])).toString('base64url');
}

export function decodeSequenceCursor(cursor: string, field = 'after'): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      parsed[0] === SEQUENCE_TAG &&
      Number.isSafeInteger(parsed[1]) &&
      (parsed[1] as number) >= 0
    ) {
      return parsed[1] as number;
    }
  } catch {
    // fall through: not one of ours
  }
  throw new InvalidCursorError(field, field === 'cursor' ? 'cursor' : `${field} cursor`);
}
