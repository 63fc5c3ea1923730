import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpawnOptions {
  /** Where stdout and stderr go: <logDir>/<name>.log */
  logDir: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  args?: string[];
}

/** A node process the benchmark started, with its memory watched. */
export class BenchProcess {
  /** Highest VmRSS sampled since the last `resetPeak()`, in KiB. */
  phasePeakKb = 0;
  /** VmHWM (peak resident set since start), in KiB, as last read. */
  hwmKb = 0;
  private readonly exit: Promise<number | null>;
  private exited = false;
  /** Stopped by the benchmark, as opposed to died. */
  stopping = false;
  private readonly tail: string[] = [];

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exited = true;
        resolve(code);
      }),
    );
    const keep = (chunk: Buffer) => {
      this.tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.tail.splice(0, Math.max(0, this.tail.length - 30));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** The last lines it printed, for error messages. */
  lastLines(): string {
    return this.tail.join('\n');
  }

  resetPeak(): void {
    this.phasePeakKb = 0;
  }

  async sample(): Promise<void> {
    if (this.exited) return;
    const memory = await readMemory(this.pid);
    if (memory === undefined) return;
    this.phasePeakKb = Math.max(this.phasePeakKb, memory.rssKb);
    this.hwmKb = Math.max(this.hwmKb, memory.hwmKb);
  }

  /** SIGTERM (graceful shutdown), SIGKILL after the grace period. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.exited) return;
    this.stopping = true;
    await this.sample();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** Resolves with the exit code once it has exited. */
  whenExited(): Promise<number | null> {
    return this.exit;
  }
}

export function spawnNode(name: string, script: string, options: SpawnOptions): BenchProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), script, ...(options.args ?? [])],
    {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(join(options.logDir, `${name}.log`));
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return new BenchProcess(name, child);
}

export async function readMemory(
  pid: number,
): Promise<{ rssKb: number; hwmKb: number } | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (status === undefined) return undefined;
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** Samples every process's memory until stopped. */
export function watchMemory(processes: () => readonly BenchProcess[], everyMs = 250): () => void {
  const timer = setInterval(() => {
    void Promise.all(processes().map((p) => p.sample()));
  }, everyMs);
  return () => clearInterval(timer);
}
