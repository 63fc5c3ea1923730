import { insertManyIgnoringDuplicates } from './bulk';

const docs = [{ _id: 'a' }, { _id: 'b' }];
const failing = (error: Error) => () => Promise.reject(error);

describe('insertManyIgnoringDuplicates and errors that are not duplicates', () => {
  it('reports duplicates as stored', async () => {
    const error = Object.assign(new Error('E11000'), { writeErrors: [{ index: 1, code: 11000 }] });
    await expect(insertManyIgnoringDuplicates(failing(error), docs)).resolves.toEqual(new Set([1]));
  });

  it('rethrows a bulk error that carries no write error at all (a write concern failure)', async () => {
    const error = Object.assign(new Error('Replication is being shut down'), {
      name: 'MongoBulkWriteError',
      writeErrors: [],
      result: { writeConcernErrors: [{ code: 91, errmsg: 'Replication is being shut down' }] },
    });
    await expect(insertManyIgnoringDuplicates(failing(error), docs)).rejects.toBe(error);
  });

  it.each([
    ['on the error', { writeConcernError: { code: 64 } }],
    ['in a list on the error', { writeConcernErrors: [{ code: 64 }] }],
    ['from the bulk result', { result: { getWriteConcernError: () => ({ code: 64 }) } }],
  ])('rethrows duplicates that come with a write concern error %s', async (_where, extra) => {
    const error = Object.assign(new Error('x'), {
      writeErrors: [{ index: 0, code: 11000 }],
      ...extra,
    });
    await expect(insertManyIgnoringDuplicates(failing(error), docs)).rejects.toBe(error);
  });
});
