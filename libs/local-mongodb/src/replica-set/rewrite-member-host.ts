import { MongoMemoryServer } from 'mongodb-memory-server-core';
import mongoose from 'mongoose';
import { binaryOptions, type MongodBinary } from '../binary/mongod-binary';
import { stopMongodChild } from '../processes/terminate';
import { REPLICA_SET } from './replica-set';

/**
 * Points the stored replica set config of a dbPath at 127.0.0.1:<port>, without which mongod
 * would not find itself in it and refuse to become primary. MongoDB's documented way: start it
 * standalone and edit local.system.replset.
 */
export async function rewriteMemberHost(
  dbPath: string,
  port: number,
  binary: MongodBinary,
): Promise<void> {
  const standalone = new MongoMemoryServer({
    binary: binaryOptions(binary),
    instance: { dbPath, storageEngine: 'wiredTiger', launchTimeout: binary.launchTimeoutMs },
  });
  await standalone.start();
  const child = standalone.instanceInfo?.instance.mongodProcess;
  try {
    const connection = await mongoose
      .createConnection(standalone.getUri(), { directConnection: true })
      .asPromise();
    try {
      await connection
        .getClient()
        .db('local')
        .collection<{ _id: string }>('system.replset')
        .updateOne({ _id: REPLICA_SET }, { $set: { 'members.0.host': `127.0.0.1:${port}` } });
    } finally {
      await connection.close();
    }
  } finally {
    await standalone.stop({ doCleanup: false });
    if (child !== undefined) await stopMongodChild(child);
  }
}
