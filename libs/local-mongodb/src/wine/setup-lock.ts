import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../processes/process-table';
import type { Log } from '../shared/log';

const POLL_MS = 500;

/**
 * One process at a time sets up the cache: a second wine run while a fresh prefix is being
 * initialised restarts wine's session and crashes mongod.exe instances already running in it.
 * A lock left by a process that died is taken over.
 */
export async function withSetupLock<T>(
  cacheDir: string,
  log: Log,
  setup: () => Promise<T>,
): Promise<T> {
  const lock = join(cacheDir, 'setup.lock');
  let announced = false;
  for (;;) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
      await rm(lock, { force: true });
      continue;
    }
    if (!announced) log(`waiting for process ${holder} to finish setting up ${cacheDir}`);
    announced = true;
    await sleep(POLL_MS);
  }
  try {
    return await setup();
  } finally {
    await rm(lock, { force: true });
  }
}
