import { ConnectionString } from 'mongodb-connection-string-url';

/** `uri` naming `database` as its database, whatever it named before; every host and option kept. */
export function withDatabase(uri: string, database: string): string {
  const url = new ConnectionString(uri);
  url.pathname = `/${database}`;
  return url.toString();
}
