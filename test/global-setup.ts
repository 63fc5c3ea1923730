// Relative import: jest loads global setup outside its module system, so @app/* aliases don't apply.
// eslint-disable-next-line no-restricted-imports
import { startLocalMongo, type LocalMongo } from '../libs/local-mongodb/src/local-mongodb';

/** Global setup and teardown run in the same process; this is how teardown finds the server. */
export const localMongoHolder = globalThis as typeof globalThis & { __localMongo?: LocalMongo };

export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) return;
  const mongo = await startLocalMongo({
    log: (line) => process.stderr.write(`[local-mongodb] ${line}\n`),
  });
  localMongoHolder.__localMongo = mongo;
  // Test workers are forked after global setup and inherit this.
  process.env.MONGODB_URI = mongo.uri;
}
