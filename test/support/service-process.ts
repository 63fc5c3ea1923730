import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { REPO_ROOT, type Build } from './build-ts';
import { eventually } from './eventually';

export type Service = 'api' | 'notifier';

/**
 * A built API or notifier (`dist/apps/<service>/src/main.js` of a test build) running as a real
 * process, configured by its environment as in production. Its output is kept for assertions;
 * with TEST_LOGS=1 it is also echoed.
 */
export class ServiceProcess {
  private output = '';
  private stdoutText = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (process.env.TEST_LOGS) process.stderr.write(`[${name}] ${chunk.toString()}`);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      this.stdoutText += chunk.toString();
      keep(chunk);
    });
    child.stderr?.on('data', keep);
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  static start(
    build: Build,
    service: Service,
    env: Record<string, string>,
    name: string = service,
  ): ServiceProcess {
    const main = join(build.outDir, 'apps', service, 'src', 'main.js');
    const child = spawn(process.execPath, [main], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        // Suites use retry delays of a few ms (as in platform.ts).
        QUOTA_MIN_RETRY_DELAY: '0ms',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get logs(): string {
    // Nest colours its log lines when it thinks it writes to a terminal: compare without.
    // eslint-disable-next-line no-control-regex
    return this.output.replace(/\u001b\[[0-9;]*m/g, '');
  }

  /** Its stdout alone, where it logs: one JSON object a line. */
  get stdout(): string {
    return this.stdoutText;
  }

  async waitForLog(text: string, timeoutMs = 30_000): Promise<void> {
    await eventually(() => (this.logs.includes(text) ? true : undefined), {
      timeoutMs,
      what: `${this.name} to log "${text}"; it logged:\n${this.logs.slice(-2000)}`,
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal; resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}
