import type { Log } from '../shared/log';
import { isExecutable } from '../shared/files';
import { runCommand } from '../processes/run-command';
import { WINE } from './wine';

const WINE_INSTALL = 'apt-get install -y --no-install-recommends wine64';

/** Installs wine64 with apt-get when it is missing and we may (root); else says how to. */
export async function ensureWine(log: Log): Promise<void> {
  if (await isExecutable(WINE)) return;
  if (process.getuid?.() !== 0 || !(await isExecutable('/usr/bin/apt-get'))) {
    throw new Error(
      `No MongoDB binary available: the official download is unreachable and the fallback needs ` +
        `Debian's wine64 (${WINE}). Install it with: sudo ${WINE_INSTALL}`,
    );
  }
  log(`installing wine64 with apt-get (once): ${WINE_INSTALL}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runCommand('apt-get', ['update'], { env, timeout: 600_000 });
  await runCommand('apt-get', WINE_INSTALL.split(' ').slice(1), { env, timeout: 1_200_000 });
}
