import { isDatabaseUnreachable, isDuplicateKey, isPermanentStoreError } from './mongo-errors';

describe('isPermanentStoreError', () => {
  it.each([
    ['the driver cannot encode a key', Object.assign(new Error('x'), { name: 'BSONError' })],
    ['the serializer overflowed its stack', new RangeError('Maximum call stack size exceeded')],
    [
      'nested too deep (Overflow)',
      Object.assign(new Error('x'), { name: 'MongoServerError', code: 15 }),
    ],
    [
      'one document of an unordered insert refused',
      Object.assign(new Error('x'), {
        name: 'MongoBulkWriteError',
        writeErrors: [{ code: 11000 }, { err: { code: 15 } }],
      }),
    ],
  ])('is permanent: %s', (_what, error) => {
    expect(isPermanentStoreError(error)).toBe(true);
  });

  it.each([
    ['no server', Object.assign(new Error('x'), { name: 'MongoServerSelectionError' })],
    ['a network error', Object.assign(new Error('x'), { name: 'MongoNetworkError' })],
    [
      'a primary stepping down',
      Object.assign(new Error('x'), { name: 'MongoServerError', code: 10107 }),
    ],
    ['duplicates only', Object.assign(new Error('x'), { writeErrors: [{ code: 11000 }] })],
    ['not an error', 'oops'],
  ])('is not permanent: %s', (_what, error) => {
    expect(isPermanentStoreError(error)).toBe(false);
  });
});

describe('isDuplicateKey', () => {
  it.each([
    ['an error', { code: 11000 }],
    ['a driver WriteError', { index: 0, code: 11000 }],
    ["mongoose's lean insertMany write error", { index: 0, err: { code: 11000 } }],
  ])('is a duplicate key: %s', (_what, error) => {
    expect(isDuplicateKey(error)).toBe(true);
  });

  it('is not one for another code, or no error at all', () => {
    expect(isDuplicateKey({ code: 15 })).toBe(false);
    expect(isDuplicateKey(undefined)).toBe(false);
  });
});

describe('isDatabaseUnreachable', () => {
  it('is the driver having no server to talk to, not a refused query', () => {
    expect(
      isDatabaseUnreachable(Object.assign(new Error('x'), { name: 'MongoServerSelectionError' })),
    ).toBe(true);
    expect(
      isDatabaseUnreachable(Object.assign(new Error('x'), { name: 'MongoServerError', code: 2 })),
    ).toBe(false);
  });

  it.each([
    ['NotWritablePrimary', 'MongoServerError', 10107],
    ['PrimarySteppedDown', 'MongoServerError', 189],
    ['InterruptedDueToReplStateChange', 'MongoServerError', 11602],
    ['a majority write cut short by a shutdown', 'MongoWriteConcernError', 91],
  ])('is an election under way: %s', (_what, name, code) => {
    expect(isDatabaseUnreachable(Object.assign(new Error('x'), { name, code }))).toBe(true);
  });
});
