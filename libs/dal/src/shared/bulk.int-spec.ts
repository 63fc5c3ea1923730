import { createConnection, Schema, type Connection, type Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { insertManyIgnoringDuplicates } from './bulk';

interface Doc {
  _id: string;
  key: string;
}

describe('insertManyIgnoringDuplicates (real MongoDB)', () => {
  let connection: Connection;
  let model: Model<Doc>;
  const insert = (docs: Doc[]) => model.insertMany(docs, { ordered: false, lean: true });

  beforeAll(async () => {
    const url = testDatabaseUri('test_bulk');
    // No auto-create: the collection is made once, below (see openConnection on why).
    connection = await createConnection(url, {
      autoCreate: false,
      autoIndex: false,
    }).asPromise();
    const schema = new Schema<Doc>({ _id: String, key: String }, { versionKey: false });
    schema.index({ key: 1 }, { unique: true });
    model = connection.model<Doc>('Doc', schema, 'docs');
    await model.createCollection();
    await model.createIndexes();
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(() => model.deleteMany({}));

  it('inserts everything and reports no duplicates', async () => {
    const duplicates = await insertManyIgnoringDuplicates(insert, [
      { _id: 'a', key: 'a' },
      { _id: 'b', key: 'b' },
    ]);
    expect([...duplicates]).toEqual([]);
    expect(await model.countDocuments()).toBe(2);
  });

  it('reports documents already stored by index and inserts the rest', async () => {
    await insert([{ _id: 'a', key: 'a' }]);
    const duplicates = await insertManyIgnoringDuplicates(insert, [
      { _id: 'b', key: 'b' },
      { _id: 'a', key: 'a' },
      { _id: 'c', key: 'c' },
    ]);
    expect([...duplicates]).toEqual([1]);
    expect((await model.find().sort({ _id: 1 }).lean()).map((doc) => doc._id)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('reports a duplicate within the same batch (the same idempotency key twice)', async () => {
    const duplicates = await insertManyIgnoringDuplicates(insert, [
      { _id: 'a', key: 'a' },
      { _id: 'a', key: 'a2' },
    ]);
    expect([...duplicates]).toEqual([1]);
    expect(await model.countDocuments()).toBe(1);
  });

  it('treats a duplicate on a secondary unique index the same way', async () => {
    await insert([{ _id: 'a', key: 'k' }]);
    const duplicates = await insertManyIgnoringDuplicates(insert, [{ _id: 'b', key: 'k' }]);
    expect([...duplicates]).toEqual([0]);
  });

  it("recognises the driver's own WriteError shape too", async () => {
    const raw = connection.collection<Doc>('docs');
    const duplicates = await insertManyIgnoringDuplicates(
      (docs) => raw.insertMany(docs, { ordered: false }),
      [
        { _id: 'a', key: 'a' },
        { _id: 'a', key: 'a2' },
      ],
    );
    expect([...duplicates]).toEqual([1]);
  });

  it('rethrows anything that is not a duplicate', async () => {
    const strict = await connection.createCollection<Doc>(`strict_${Date.now()}`, {
      validator: { key: { $type: 'string' } },
    });
    const invalid = { _id: 'x', key: 42 } as unknown as Doc;
    await expect(
      insertManyIgnoringDuplicates(
        (docs) => strict.insertMany(docs, { ordered: false }),
        [{ _id: 'ok', key: 'ok' }, invalid],
      ),
    ).rejects.toMatchObject({ code: 121 });
  });

  it('does nothing for an empty batch', async () => {
    const never = () => Promise.reject(new Error('should not be called'));
    expect([...(await insertManyIgnoringDuplicates(never, []))]).toEqual([]);
  });
});
