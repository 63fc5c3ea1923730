import type * as Mongoose from 'mongoose';

/**
 * Accepts exactly the connection strings the MongoDB driver accepts (several hosts, `mongodb+srv://`,
 * credentials, options) by handing them to the driver's own parser: that of the driver mongoose
 * connects with (it may bundle another version than the top-level `mongodb`). A MongoClient
 * parses its string when built and opens nothing before `connect()`. A string it refuses stops
 * boot with the driver's reason (MongoParseError) instead of failing at the first query.
 */
export function parseMongodbUri(value: string): string {
  // Loaded here, only when MONGODB_URI is set: the CLI shares this library and never needs the
  // driver, whose loading would add about half a second to every command.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { mongo } = require('mongoose') as typeof Mongoose;
  new mongo.MongoClient(value);
  return value;
}
