import { afterPosition, decodeCursor, encodeCursor, InvalidCursorError, paginate } from './cursor';

const AT = new Date('2026-11-26T08:00:00.123Z');

interface Item {
  _id: string;
  createdAt: Date;
}

function items(count: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    _id: `msg_${String(i).padStart(3, '0')}`,
    createdAt: new Date(AT.getTime() + i),
  }));
}

describe('encodeCursor / decodeCursor', () => {
  it('round-trips a position to the millisecond', () => {
    const position = { at: AT, id: 'msg_0192f0c4a1b27c3d8e9f001122334455' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('is opaque and URL-safe', () => {
    const cursor = encodeCursor({ at: AT, id: 'a/b+c?d&e=f' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor).id).toBe('a/b+c?d&e=f');
  });

  it('keeps positions in the same millisecond apart by id', () => {
    expect(encodeCursor({ at: AT, id: 'a' })).not.toBe(encodeCursor({ at: AT, id: 'b' }));
  });

  it.each([
    ['empty', ''],
    ['not base64url JSON', 'not-a-cursor'],
    ['JSON of another shape', Buffer.from('{"at":1,"id":"x"}').toString('base64url')],
    ['a time that is not a whole number', Buffer.from('[1.5,"x"]').toString('base64url')],
    ['an id that is not a string', Buffer.from('[1,2]').toString('base64url')],
    ['too many parts', Buffer.from('[1,"x","y"]').toString('base64url')],
    ['a time as a string', Buffer.from('["1","x"]').toString('base64url')],
    ['a time past the last Date', Buffer.from('[8640000000000001,"x"]').toString('base64url')],
    ['a huge time', Buffer.from('[9007199254740991,"x"]').toString('base64url')],
    ['a time before the first Date', Buffer.from('[-8640000000000001,"x"]').toString('base64url')],
  ])('refuses a cursor that is %s, naming the field', (_what, cursor) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidCursorError);
    expect(thrown).toMatchObject({ field: 'cursor', label: 'cursor' });
  });

  it('names the query field it was given', () => {
    expect(() => decodeCursor('garbage', 'after')).toThrow(
      expect.objectContaining({ field: 'after', label: 'after' }),
    );
  });
});

describe('afterPosition', () => {
  it('selects later items, ties broken by id, for ascending order', () => {
    expect(afterPosition('startedAt', { at: AT, id: 'att_5' }, 1)).toEqual({
      $or: [{ startedAt: { $gt: AT } }, { startedAt: AT, _id: { $gt: 'att_5' } }],
    });
  });

  it('selects earlier items, ties broken by id, for descending order', () => {
    expect(afterPosition('createdAt', { at: AT, id: 'msg_5' }, -1)).toEqual({
      $or: [{ createdAt: { $lt: AT } }, { createdAt: AT, _id: { $lt: 'msg_5' } }],
    });
  });
});

describe('paginate', () => {
  it('has no next page when the query found at most limit items', () => {
    const all = items(3);
    expect(paginate(all, 3, (item) => item.createdAt)).toEqual({ items: all, nextCursor: null });
    expect(paginate([], 3, (item: Item) => item.createdAt)).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it('drops the extra item and points the cursor at the last one returned', () => {
    const all = items(4);
    const page = paginate(all, 3, (item) => item.createdAt);
    expect(page.items).toEqual(all.slice(0, 3));
    expect(decodeCursor(page.nextCursor!)).toEqual({ at: all[2]!.createdAt, id: all[2]!._id });
  });

  it('walks a list in pages without skipping or repeating, ties included', () => {
    // Four items share each millisecond: only the id tells them apart.
    const all = items(10).map((item, i) => ({
      ...item,
      createdAt: new Date(AT.getTime() + (i >> 2)),
    }));
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const position = cursor === undefined ? undefined : decodeCursor(cursor!);
      const remaining = all.filter(
        (item) =>
          position === undefined ||
          item.createdAt > position.at ||
          (item.createdAt.getTime() === position.at.getTime() && item._id > position.id),
      );
      const page = paginate(remaining.slice(0, 4), 3, (item) => item.createdAt);
      seen.push(...page.items.map((item) => item._id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.map((item) => item._id));
  });
});
