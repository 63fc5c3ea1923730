import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mongo } from 'mongoose';
import { eventually } from '../../../test/support/eventually';
import { startLocalReplicaSet, type LocalReplicaSet } from './local-replica-set';

function listen(port: number): Promise<Server> {
  return new Promise((settle, fail) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => settle(server));
  });
}

describe('startLocalReplicaSet', () => {
  let root: string;
  let set: LocalReplicaSet | undefined;
  let squatter: Server | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-replica-set-spec-'));
  });

  afterAll(async () => {
    squatter?.close();
    await set?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('starts a killed member again when it exits while starting, and logs what it printed', async () => {
    const lines: string[] = [];
    // A member that exits on its first start: its port is taken until that start has failed.
    set = await startLocalReplicaSet({
      dbPaths: [join(root, 'member-1')],
      log: (line) => {
        lines.push(line);
        if (line.includes('exited while starting')) squatter?.close();
      },
    });
    const client = new mongo.MongoClient(set.uri, { serverSelectionTimeoutMS: 60_000 });
    try {
      await client.db('spec').collection('notes').insertOne({ text: 'before the crash' });
    } finally {
      await client.close();
    }

    await set.kill(0);
    // Under wine the killed mongod's port is free a moment after its process exited.
    squatter = await eventually(() => listen(set!.ports[0]!), { what: 'the killed port' });
    await set.restart(0);

    const exits = lines.filter((line) => line.includes('exited while starting'));
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatch(/attempt 1 of 3: .+\); its last output:\n./);
    expect(await set.primary()).toBe(0);
    const again = new mongo.MongoClient(set.uri, { serverSelectionTimeoutMS: 60_000 });
    try {
      const notes = await again.db('spec').collection('notes').find().toArray();
      expect(notes.map((note) => note['text'])).toEqual(['before the crash']);
    } finally {
      await again.close();
    }
  });
});
