import { resolve } from 'node:path';
import { mongoDataLocation } from './mongodb-to-boot-on';

describe('mongoDataLocation', () => {
  it("names the embedded MongoDB's directory when MONGODB_URI is unset", async () => {
    expect(await mongoDataLocation(undefined)).toBe(
      `${resolve('.data/mongodb')} (the embedded MongoDB on 127.0.0.1:27027)`,
    );
  });

  it('names the server of MONGODB_URI, its password masked', async () => {
    expect(
      await mongoDataLocation('mongodb://notify:s3cret@db1:27017,db2:27017/notify?replicaSet=rs0'),
    ).toBe(
      'kept by the server of MONGODB_URI, mongodb://notify:***@db1:27017,db2:27017/notify?replicaSet=rs0',
    );
    expect(await mongoDataLocation('mongodb://127.0.0.1:27017/notify')).toBe(
      'kept by the server of MONGODB_URI, mongodb://127.0.0.1:27017/notify',
    );
  });
});
