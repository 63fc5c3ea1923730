import type { ChildProcess } from 'node:child_process';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { resetPortsCache } from 'mongodb-memory-server-core/lib/util/getport';
import { binaryOptions, type MongodBinary } from '../binary/mongod-binary';
import { stopMongodChild } from '../processes/terminate';

export const REPLICA_SET = 'rs0';

/** One mongod of the replica set: its port (undefined: any free one) and data (undefined: temp). */
export interface Member {
  port?: number;
  dbPath?: string;
}

/** The replica set config's `settings` (mongodb-memory-server's default election timeout: 500 ms). */
export interface ReplicaSetSettings {
  electionTimeoutMillis?: number;
}

/**
 * Starts a mongod per member and initiates the replica set over them (mongodb-memory-server does
 * the `replSetInitiate` and waits for a primary), so transactions and change streams work.
 */
export async function startReplicaSet(
  binary: MongodBinary,
  members: readonly Member[],
  settings: ReplicaSetSettings = {},
): Promise<MongoMemoryReplSet> {
  const replSet = new MongoMemoryReplSet({
    binary: binaryOptions(binary),
    replSet: {
      name: REPLICA_SET,
      count: members.length,
      storageEngine: 'wiredTiger',
      configSettings: settings,
    },
    instanceOpts: members.map(({ port, dbPath }) => ({
      port,
      dbPath,
      launchTimeout: binary.launchTimeoutMs,
    })),
  });
  // mongodb-memory-server silently takes another port for one it tried in the last 10 s.
  resetPortsCache();
  try {
    await replSet.start();
    members.forEach(({ port }, index) => {
      const actual = replSet.servers[index]?.instanceInfo?.port;
      if (port !== undefined && actual !== port) {
        throw new Error(
          `mongod came up on port ${actual} instead of ${port} (was the port taken?)`,
        );
      }
    });
  } catch (error) {
    await stopReplicaSet(replSet, binary).catch(() => undefined);
    throw error;
  }
  return replSet;
}

/** Stops every member for sure and removes throwaway data; a caller's dbPath is kept. */
export async function stopReplicaSet(
  replSet: MongoMemoryReplSet,
  binary: MongodBinary,
): Promise<void> {
  const children = replSet.servers
    .map((server) => server.instanceInfo?.instance.mongodProcess)
    .filter((child): child is ChildProcess => child !== undefined);
  await replSet.stop({ doCleanup: false });
  await Promise.all(children.map((child) => stopMongodChild(child)));
  // mongodb-memory-server keeps the handle of a mongod that died on its own, and then refuses to
  // clean up; it is gone for sure now.
  for (const server of replSet.servers) {
    if (server.instanceInfo) server.instanceInfo.instance.mongodProcess = undefined;
  }
  // force: false keeps a caller's dbPath; the temp dir of a throwaway instance is removed anyway.
  await replSet.cleanup({ doCleanup: true, force: false });
  await binary.afterStop();
}
