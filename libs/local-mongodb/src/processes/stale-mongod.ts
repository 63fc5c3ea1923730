import type { Log } from '../shared/log';
import { toWinePath } from '../wine/wine';
import { listProcesses, parentPid, processName } from './process-table';
import { terminate } from './terminate';

/**
 * A run killed with SIGKILL (its mongo_killer too) leaves mongod holding the dbPath lock; stop it
 * (cleanly: it handles SIGINT) so this start can take over the data. A mongod whose node parent
 * is alive is not stale but another process's database: refuse rather than kill it.
 */
export async function stopStaleMongod(dbPath: string, log: Log): Promise<void> {
  const paths = new Set([dbPath, toWinePath(dbPath)]);
  const holders = (await listProcesses()).filter(({ args }) => {
    const index = args.indexOf('--dbpath');
    return index >= 0 && paths.has(args[index + 1] ?? '');
  });
  for (const { pid, args } of holders) {
    const owner = await parentPid(pid);
    if (owner !== undefined && owner > 1 && (await processName(owner)) === 'node') {
      throw new Error(
        `A MongoDB for ${dbPath} is already running (pid ${pid}, started by pid ${owner}); ` +
          'stop it or connect to it instead',
      );
    }
    log(`stopping a stale mongod (pid ${pid}, ${args[0]}) that still holds ${dbPath}`);
    await terminate(pid);
  }
}
