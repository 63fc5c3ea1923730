import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = resolve(__dirname, '../..');

export interface Build {
  /** Mirrors dist/: `<outDir>/apps/cli/src/main.js` is what `dist/apps/cli/src/main.js` would be. */
  outDir: string;
  remove(): Promise<void>;
}

/**
 * Compiles a project exactly as `npm run build` does (tsc, then tsc-alias for the @app/* paths)
 * into a directory of its own under dist/, so node_modules resolve as they do for dist/ and
 * parallel suites (or a developer's build) never read half-written files of each other.
 */
export async function buildProject(tsconfig: string): Promise<Build> {
  const outDir = join(REPO_ROOT, 'dist', '.test-builds', randomBytes(4).toString('hex'));
  const project = join(REPO_ROOT, tsconfig);
  const tsc = require.resolve('typescript/bin/tsc');
  const tscAlias = join(require.resolve('tsc-alias/package.json'), '..', 'dist/bin/index.js');
  try {
    await run(process.execPath, [tsc, '-p', project, '--outDir', outDir], { cwd: REPO_ROOT });
    await run(process.execPath, [tscAlias, '-p', project, '--outDir', outDir], { cwd: REPO_ROOT });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`building ${tsconfig} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
  return { outDir, remove: () => rm(outDir, { recursive: true, force: true }) };
}
