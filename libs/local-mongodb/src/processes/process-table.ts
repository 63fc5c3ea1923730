import { readFile, readdir } from 'node:fs/promises';

/** What /proc says about the processes of this machine (Linux only, which is all we run on). */

export interface ProcessInfo {
  pid: number;
  args: string[];
}

/** Every other process with a command line (kernel threads have none). */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const entries = await readdir('/proc').catch(() => []);
  const processes = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
        return { pid: Number(entry), args: cmdline.split('\0').filter((arg) => arg !== '') };
      }),
  );
  return processes.filter(({ pid, args }) => args.length > 0 && pid !== process.pid);
}

export async function parentPid(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // "pid (comm) state ppid ...", where comm may itself contain spaces and parentheses
  const ppid = Number(
    stat
      .slice(stat.lastIndexOf(')') + 1)
      .trim()
      .split(' ')[1],
  );
  return Number.isInteger(ppid) ? ppid : undefined;
}

export async function processName(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}

/** The environment a process was started with, as `NAME=value` entries. */
export async function processEnvironment(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// An exited process whose parent has not reaped it yet still answers kill(pid, 0).
export async function isZombie(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /^\d+ \(.*\) Z/.test(stat);
}
