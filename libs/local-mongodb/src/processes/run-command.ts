import { execFile } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeout: number;
}

/** Runs a command to completion; fails with its stderr when it exits non-zero or times out. */
export function runCommand(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<{ stdout: string }> {
  return new Promise((settle, fail) => {
    execFile(
      command,
      args,
      { ...options, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          fail(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        } else {
          settle({ stdout });
        }
      },
    );
  });
}
