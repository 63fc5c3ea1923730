import { mongo } from 'mongoose';
import { driverSettings } from './connection';

/** The options mongoose's driver ends up with for this MONGODB_URI (it connects to nothing here). */
function effective(uri: string) {
  return new mongo.MongoClient(uri, driverSettings(uri)).options;
}

describe('driverSettings: what survives an election', () => {
  it('writes to a majority, journaled, retries, and waits out an election but not forever', () => {
    const options = effective('mongodb://db1,db2,db3/notify?replicaSet=rs0');
    expect(options.writeConcern).toMatchObject({ w: 'majority', journal: true });
    expect(options.retryWrites).toBe(true);
    expect(options.retryReads).toBe(true);
    expect(options.serverSelectionTimeoutMS).toBe(15_000);
    expect(options.socketTimeoutMS).toBe(60_000);
  });

  it("keeps an operator's tuning from the connection string, but never a weaker write concern", () => {
    const options = effective(
      'mongodb://db1,db2/notify?replicaSet=rs0&ServerSelectionTimeoutMS=30000&socketTimeoutMS=0&w=1&journal=false&wtimeoutMS=8000',
    );
    expect(options.serverSelectionTimeoutMS).toBe(30_000);
    expect(options.socketTimeoutMS).toBe(0);
    expect(options.writeConcern).toMatchObject({ w: 'majority', journal: true, wtimeoutMS: 8_000 });
  });
});
