import { ConnectionString } from 'mongodb-connection-string-url';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';

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
  const url = new ConnectionString(process.env.MONGODB_URI!);
  url.pathname = `/${prefix}_${randomBytes(4).toString('hex')}`;
  const uri = url.toString();
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
