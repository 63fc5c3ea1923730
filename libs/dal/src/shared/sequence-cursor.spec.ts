import {
  decodeSequenceCursor,
  encodeCursor,
  encodeSequenceCursor,
  InvalidCursorError,
} from './cursor';

describe('sequence cursors (the inbox)', () => {
  it('round-trip a position and stay URL-safe', () => {
    for (const position of [0, 1, 42, Number.MAX_SAFE_INTEGER]) {
      const cursor = encodeSequenceCursor(position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeSequenceCursor(cursor)).toBe(position);
    }
  });

  it.each([
    ['garbage', 'not base64 JSON'],
    [encodeCursor({ at: new Date(), id: 'msg_1' }), "another list's cursor"],
    [Buffer.from(JSON.stringify(['seq', -1])).toString('base64url'), 'a negative position'],
    [Buffer.from(JSON.stringify(['seq', 1.5])).toString('base64url'), 'a fractional position'],
    [Buffer.from(JSON.stringify(['seq', '7'])).toString('base64url'), 'a string position'],
    [Buffer.from(JSON.stringify(['seq', 7, 8])).toString('base64url'), 'extra parts'],
  ])('refuses %s (%s), naming the parameter', (cursor) => {
    let thrown: unknown;
    try {
      decodeSequenceCursor(cursor, 'after');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidCursorError);
    expect(thrown).toMatchObject({ field: 'after', label: 'after cursor' });
  });
});
