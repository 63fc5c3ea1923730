import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { MongodBinary } from '../binary/mongod-binary';
import type { Log } from '../shared/log';
import { rewriteMemberHost } from './rewrite-member-host';

/**
 * The port a member starts on. A given port must be free: mongodb-memory-server would quietly
 * take another one. Without a port, a dbPath gets the one it was last started on (if free). When
 * the port of a dbPath changes, its stored replica set config no longer names this node, so the
 * member's host is rewritten first.
 */
export async function choosePort(
  dbPath: string | undefined,
  requested: number | undefined,
  binary: MongodBinary,
  log: Log,
): Promise<number | undefined> {
  if (requested !== undefined && !(await isPortFree(requested))) {
    throw new Error(`Cannot start MongoDB on port ${requested}: the port is in use`);
  }
  if (dbPath === undefined) return requested;
  const previous = Number((await readFile(portFile(dbPath), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(previous) || previous <= 0) return requested;
  if (requested === previous) return requested;
  if (requested === undefined && (await isPortFree(previous))) return previous;
  const port = requested ?? (await freePort());
  log(`${dbPath} was last used on port ${previous}; moving its replica set member to port ${port}`);
  await rewriteMemberHost(dbPath, port, binary);
  return port;
}

/** A persistent dbPath remembers the port its replica set member runs on. */
export async function rememberPort(dbPath: string, port: number): Promise<void> {
  await writeFile(portFile(dbPath), `${port}\n`);
}

function portFile(dbPath: string): string {
  return join(dbPath, 'local-mongodb.port');
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((settle) => {
    const server = createServer();
    server.once('error', () => settle(false));
    server.listen(port, '127.0.0.1', () => server.close(() => settle(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((settle, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? settle(address.port)
          : fail(new Error('no free port')),
      );
    });
  });
}
