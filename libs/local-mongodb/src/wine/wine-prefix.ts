import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MONGODB_VERSION } from '../binary/mongod-binary';
import { listProcesses, processEnvironment } from '../processes/process-table';
import { runCommand } from '../processes/run-command';
import { exists } from '../shared/files';
import type { Log } from '../shared/log';
import { WINE, WINESERVER, wineEnv } from './wine';

const WINE_IDLE_TIMEOUT_MS = 10_000;

/** Initialises the wine prefix once, by asking mongod.exe for its version in it. */
export async function ensureWinePrefix(
  cacheDir: string,
  prefix: string,
  exe: string,
  log: Log,
): Promise<void> {
  const marker = join(cacheDir, 'wine-prefix.ready');
  if (await exists(marker)) return;
  log(`initialising the wine prefix ${prefix} (once, ~10 s)`);
  const { stdout } = await runCommand(WINE, [exe, '--version'], {
    env: wineEnv(prefix),
    timeout: 300_000,
  });
  if (!stdout.includes(`db version v${MONGODB_VERSION}`)) {
    throw new Error(`mongod.exe under wine did not report version ${MONGODB_VERSION}: ${stdout}`);
  }
  await writeFile(marker, `${new Date().toISOString()}\n`);
}

/**
 * The wineserver and wine's helper processes (services.exe, winedevice.exe, ...) exit by
 * themselves shortly after the last program; wait for that unless another mongod.exe still runs.
 */
export async function waitForWineIdle(prefix: string): Promise<void> {
  const mongods = (await listProcesses()).filter(({ args }) => /mongod\.exe$/i.test(args[0] ?? ''));
  const environments = await Promise.all(mongods.map(({ pid }) => processEnvironment(pid)));
  if (environments.some((environ) => environ.includes(`WINEPREFIX=${prefix}`))) return;
  await runCommand(WINESERVER, ['-w'], {
    env: wineEnv(prefix),
    timeout: WINE_IDLE_TIMEOUT_MS,
  }).catch(() => undefined);
}
