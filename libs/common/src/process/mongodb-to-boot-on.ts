export interface MongoHandle {
  readonly uri: string;
  /** Stops a MongoDB this process started; nothing for a configured one. */
  stop(): Promise<void>;
}

/**
 * The MongoDB a process boots against: MONGODB_URI when it is set. Otherwise the local MongoDB
 * launcher, imported only then, so that a configured deployment never loads it (nor
 * mongodb-memory-server, wine and download code it brings along).
 */
export async function mongodbToBootOn(configuredUri: string | undefined): Promise<MongoHandle> {
  if (configuredUri !== undefined) return { uri: configuredUri, stop: () => Promise.resolve() };
  const { ensureLocalMongo } = await import('@app/local-mongodb');
  return ensureLocalMongo();
}

/**
 * Where the data is, known before anything starts (the banner of `npm start`): the server of
 * MONGODB_URI (its password masked), or the local MongoDB's directory.
 */
export async function mongoDataLocation(configuredUri: string | undefined): Promise<string> {
  if (configuredUri !== undefined) {
    return `kept by the server of MONGODB_URI, ${configuredUri.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}`;
  }
  const { localDataLocation } = await import('@app/local-mongodb');
  return localDataLocation();
}
