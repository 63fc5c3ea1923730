import { withDatabase } from '@app/local-mongodb';
import { randomBytes } from 'node:crypto';

/**
 * A database of its own on the run's MongoDB (the e2e global setup's MONGODB_URI), named
 * `<prefix>_<8 hex digits>`: specs running side by side never share one, and a database a
 * killed run left behind says whose it was.
 */
export function testDatabaseUri(prefix: string, base = process.env.MONGODB_URI!): string {
  return withDatabase(base, `${prefix}_${randomBytes(4).toString('hex')}`);
}
