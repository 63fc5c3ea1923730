import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MongodBinary } from '../binary/mongod-binary';
import type { Log } from '../shared/log';
import { ensureWine } from './install-wine';
import { ensureMongodExe } from './mongod-exe';
import { withSetupLock } from './setup-lock';
import { ensureWinePrefix, waitForWineIdle } from './wine-prefix';
import { writeWrapper } from './wine-wrapper';

const WINE_LAUNCH_TIMEOUT_MS = 90_000;

/**
 * The fallback build: the Windows mongod.exe under Debian's wine64, with everything it needs in
 * cacheDir (the exe, a wine prefix, the wrapper script mongodb-memory-server runs). See the
 * limitation noted in local-mongodb.ts.
 */
export async function prepareWineMongod(cacheDir: string, log: Log): Promise<MongodBinary> {
  await ensureWine(log);
  await mkdir(cacheDir, { recursive: true });
  const prefix = join(cacheDir, 'wine-prefix');
  const wrapper = await withSetupLock(cacheDir, log, async () => {
    const exe = await ensureMongodExe(cacheDir, log);
    await ensureWinePrefix(cacheDir, prefix, exe, log);
    return writeWrapper(cacheDir, prefix, exe);
  });
  return {
    systemBinary: wrapper,
    launchTimeoutMs: WINE_LAUNCH_TIMEOUT_MS,
    afterStop: () => waitForWineIdle(prefix),
  };
}
