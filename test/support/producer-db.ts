import { MongoClient, type Db } from 'mongodb';
import { testDatabaseUri } from './test-database';

export interface ProducerDb {
  client: MongoClient;
  db: Db;
  uri: string;
  drop(): Promise<void>;
}

/**
 * A producer's own database (beside the platform's, on the run's MongoDB replica set, so
 * transactions work), as a service using the outbox would have.
 */
export async function producerDb(prefix = 'producer'): Promise<ProducerDb> {
  const uri = testDatabaseUri(prefix);
  const client = await MongoClient.connect(uri);
  const db = client.db();
  return {
    client,
    db,
    uri,
    drop: async () => {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}
