import { AppError, ErrorCode } from '@app/common';
import { decodeCursor, decodeSequenceCursor } from '@app/dal';
import { appErrorOfDal } from './dal-errors';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing thrown');
}

describe('appErrorOfDal', () => {
  it('answers a cursor the API did not issue with a 400 naming the field', () => {
    expect(appErrorOfDal(thrownBy(() => decodeCursor('garbage', 'after')))).toMatchObject({
      code: ErrorCode.ValidationFailed,
      message: 'The after is not one this API issued',
      details: [{ field: 'after', message: expect.stringContaining('nextCursor') }],
    });
    expect(appErrorOfDal(thrownBy(() => decodeSequenceCursor('garbage', 'after')))).toMatchObject({
      message: 'The after cursor is not one this API issued',
      details: [{ field: 'after' }],
    });
    expect(appErrorOfDal(thrownBy(() => decodeSequenceCursor('garbage', 'cursor')))).toMatchObject({
      message: 'The cursor is not one this API issued',
    });
  });

  it('answers an unreachable database with a 503', () => {
    const error = appErrorOfDal(Object.assign(new Error('x'), { name: 'MongoNetworkError' }));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: ErrorCode.DependencyUnavailable,
      message: 'MongoDB is unavailable (the database cannot be reached); retry shortly',
    });
  });

  it('leaves every other error alone', () => {
    expect(appErrorOfDal(new Error('a bug'))).toBeUndefined();
  });
});
