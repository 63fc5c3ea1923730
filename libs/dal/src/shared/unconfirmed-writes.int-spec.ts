import { Schema, type Connection, type Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import { confirmHeld, insertOptions } from './unconfirmed-writes';

/** Long enough for any answer of a test MongoDB: these cases are not about giving up. */
const PATIENT_MS = 30_000;

interface Doc {
  _id: string;
  n: number;
}

describe('confirmHeld (real MongoDB, the platform connection settings)', () => {
  let uri: string;
  let connection: Connection;
  let model: Model<Doc>;
  /** The write concern of every insert sent, as the server got it. */
  const insertConcerns: unknown[] = [];

  beforeAll(async () => {
    uri = testDatabaseUri('test_unconfirmed');
    connection = await openConnection(uri, { monitorCommands: true });
    connection.getClient().on('commandStarted', (event) => {
      if (event.commandName === 'insert') insertConcerns.push(event.command.writeConcern);
    });
    model = docsOn(connection);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(() => model.deleteMany({}));

  it('says a majority holds documents written unconfirmed, and changes none of them', async () => {
    const docs = [
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
    ];
    await model.insertMany(docs, insertOptions(true));
    await model.insertMany([{ _id: 'c', n: 3 }], insertOptions(false));

    // The first acknowledged by the primary alone, the second by a majority, journaled.
    expect(insertConcerns).toEqual([
      { w: 1, j: false },
      { w: 'majority', j: true },
    ]);
    expect(await confirmHeld(model, ['a', 'b'], PATIENT_MS)).toBe(true);
    expect(
      await model
        .find({ _id: { $in: ['a', 'b'] } })
        .sort({ _id: 1 })
        .lean(),
    ).toEqual(docs);
  });

  it('says not when one of them is gone (lost before a majority held it)', async () => {
    await model.insertMany([{ _id: 'a', n: 1 }], insertOptions(true));

    expect(await confirmHeld(model, ['a', 'lost'], PATIENT_MS)).toBe(false);
    // Asking about the same one twice is not asking about two.
    expect(await confirmHeld(model, ['a', 'a'], PATIENT_MS)).toBe(true);
  });

  it('holds nothing to confirm when given nothing', async () => {
    expect(await confirmHeld(model, [], PATIENT_MS)).toBe(true);
  });

  it('gives up once its time is over, while MongoDB has not answered yet', async () => {
    // One connection, busy for 5 s with a slow query: the confirmation cannot be sent before.
    const narrow = await openConnection(uri, { maxPoolSize: 1, monitorCommands: true });
    const docs = docsOn(narrow);
    await docs.insertMany([{ _id: 'a', n: 1 }], insertOptions(true));
    const sent = new Promise<void>((resolve) =>
      narrow.getClient().on('commandStarted', (event) => {
        if (event.commandName === 'find') resolve();
      }),
    );
    let answered = false;
    const busy = docs
      .find({ $where: 'sleep(5000) || true' })
      .lean()
      .then(() => (answered = true));
    try {
      await sent;
      await expect(confirmHeld(docs, ['a'], 500)).rejects.toThrow(/timed out/i);
      expect(answered).toBe(false);
    } finally {
      await busy;
      await narrow.close();
    }
  });
});

function docsOn(connection: Connection): Model<Doc> {
  return connection.model<Doc>('Doc', new Schema<Doc>({ _id: String, n: Number }), 'docs');
}
