import type { MongoMemoryServer } from 'mongodb-memory-server-core';

/** The MongoDB every launch runs, whichever build of it: native, or the Windows one under wine. */
export const MONGODB_VERSION = '7.0.15';

/** A chosen mongod build and how to run it. */
export interface MongodBinary {
  /** undefined: mongodb-memory-server resolves it (MONGOMS_SYSTEM_BINARY or its own download). */
  systemBinary?: string;
  launchTimeoutMs: number;
  /** After the last mongod of a launch stopped (wine waits for its helper processes here). */
  afterStop(): Promise<void>;
}

type BinaryOptions = NonNullable<ConstructorParameters<typeof MongoMemoryServer>[0]>['binary'];

/** The `binary` option of mongodb-memory-server for this build. */
export function binaryOptions(binary: MongodBinary): BinaryOptions {
  return { version: MONGODB_VERSION, systemBinary: binary.systemBinary };
}
