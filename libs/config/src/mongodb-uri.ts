import { MongoClient } from 'mongodb';

/**
 * Accepts exactly the connection strings the MongoDB driver accepts (several hosts, `mongodb+srv://`,
 * credentials, options) by handing them to the driver's own parser: a MongoClient parses its
 * string when built and opens nothing before `connect()`. A string it refuses stops boot with the
 * driver's reason (MongoParseError) instead of failing at the first query.
 */
export function parseMongodbUri(value: string): string {
  new MongoClient(value);
  return value;
}
