import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildProject, REPO_ROOT, type Build } from '../../support/build-ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type CliEnv = Record<string, string | undefined>;

/**
 * The `notify` CLI as users get it: compiled like `npm run build` (tsc + tsc-alias), run as a
 * separate node process, checked by its output and exit status.
 */
export class CliRunner {
  private constructor(
    readonly build: Build,
    readonly bin: string,
    /** Environment of every run (NOTIFY_URL, keys), under what a run passes. */
    public env: CliEnv = {},
  ) {}

  static async build(): Promise<CliRunner> {
    const build = await buildProject('apps/cli/tsconfig.app.json');
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'));
    // The package's bin points into dist/; the test build mirrors dist/ in its own directory.
    return new CliRunner(build, join(build.outDir, pkg.bin.notify.replace(/^dist\//, '')));
  }

  /** Runs `notify <args>` to its end. */
  run(args: string[], env: CliEnv = {}): Promise<CliRun> {
    const child = this.spawn(args, env);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: child.out(), stderr: child.err() }));
    });
  }

  /** Starts `notify <args>`; its output so far is in out() and err(). */
  spawn(args: string[], env: CliEnv = {}) {
    const child = spawn(process.execPath, [this.bin, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, ...this.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return Object.assign(child, { out: () => stdout, err: () => stderr });
  }

  remove(): Promise<void> {
    return this.build.remove();
  }
}
