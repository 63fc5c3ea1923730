import { createConnection as connectTcp } from 'node:net';
import mongoose, { type Connection } from 'mongoose';
import { startLocalMongo, type LocalMongo } from './local-mongodb';

function isListening(port: number): Promise<boolean> {
  return new Promise((settle) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      settle(true);
    });
    socket.once('error', () => settle(false));
  });
}

describe('startLocalMongo', () => {
  let mongo: LocalMongo | undefined;
  let connection: Connection | undefined;

  afterAll(async () => {
    await connection?.close();
    await mongo?.stop();
  });

  it('runs a replica set that mongoose can use for transactions, and stops it completely', async () => {
    mongo = await startLocalMongo();
    const port = Number(new URL(mongo.uri).port);
    expect(mongo.uri).toContain('replicaSet=rs0');

    connection = await mongoose
      .createConnection(mongo.uri, { dbName: 'local-mongodb-spec' })
      .asPromise();
    const Note = connection.model('Note', new mongoose.Schema({ text: String }));
    // One creator per collection: see the wine limitation noted in local-mongodb.ts.
    await Note.init();
    await connection.transaction(async (session) => {
      await Note.create([{ text: 'written in a transaction' }], { session });
    });
    const notes = await Note.find().lean();
    expect(notes.map((note) => note.text)).toEqual(['written in a transaction']);

    await connection.close();
    connection = undefined;
    await mongo.stop();
    mongo = undefined;
    expect(await isListening(port)).toBe(false);
  });
});
