import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { MONGODB_VERSION } from './binary/mongod-binary';
import { resolveBinary } from './binary/resolve-binary';
import { stopStaleMongod } from './processes/stale-mongod';
import { choosePort, rememberPort } from './replica-set/member-port';
import { REPLICA_SET, startReplicaSet, stopReplicaSet } from './replica-set/replica-set';

/**
 * "Start a local MongoDB for me": a one-node replica set (so transactions and change streams work)
 * driven by mongodb-memory-server. This lib is the only code that touches MONGOMS_* settings.
 * Which build runs (native, or the Windows one under wine) is decided in binary/resolve-binary.ts.
 *
 * Known wine limitation: when two operations create the same collection at the same moment
 * (explicitly, or implicitly by a first insert or inside a transaction), mongod.exe deadlocks or
 * crashes. Mongoose's autoCreate racing a createCollection() or a first transaction does it.
 * Create collections once, before concurrent use (await Model.init(); don't also call
 * createCollection() beside it).
 */

export interface LocalMongo {
  readonly uri: string;
  stop(): Promise<void>;
}

export interface LocalMongoOptions {
  /** Data persists here across restarts; without it a temp dir is used and removed on stop. */
  dbPath?: string;
  port?: number;
  log?: (line: string) => void;
  /** Where mongod.exe, its wine prefix and wrapper live. Default ~/.cache/notify-platform/mongodb-7.0.15 */
  cacheDir?: string;
}

export async function startLocalMongo(options: LocalMongoOptions = {}): Promise<LocalMongo> {
  const log = options.log ?? (() => undefined);
  const startedAt = Date.now();
  const dbPath = options.dbPath ? resolve(options.dbPath) : undefined;
  const binary = await resolveBinary(options.cacheDir ?? defaultCacheDir(), log);
  if (dbPath !== undefined) {
    await mkdir(dbPath, { recursive: true });
    await stopStaleMongod(dbPath, log);
  }
  const port = await choosePort(dbPath, options.port, binary, log);
  log(
    `starting mongod ${MONGODB_VERSION} (replica set ${REPLICA_SET}, ` +
      `${dbPath === undefined ? 'throwaway data' : `data in ${dbPath}`})`,
  );
  const replSet = await startReplicaSet(binary, [{ port, dbPath }]);
  const uri = replSet.getUri();
  if (dbPath !== undefined) await rememberPort(dbPath, Number(new URL(uri).port));
  log(`MongoDB ready at ${uri} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  let stopping: Promise<void> | undefined;
  return {
    uri,
    stop: () => (stopping ??= stopReplicaSet(replSet, binary)),
  };
}

/** Where mongod.exe, its wine prefix and wrapper are kept between launches. */
export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'notify-platform', `mongodb-${MONGODB_VERSION}`);
}
