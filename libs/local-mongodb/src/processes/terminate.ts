import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, isZombie } from './process-table';

const EXIT_TIMEOUT_MS = 15_000;
const KILLED_EXIT_TIMEOUT_MS = 5_000;

/** Stops a mongod cleanly (it handles SIGINT), and with SIGKILL when it does not exit in time. */
export async function terminate(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGINT');
  if (await waitForExit(pid, EXIT_TIMEOUT_MS)) return;
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, KILLED_EXIT_TIMEOUT_MS))) {
    throw new Error(`mongod (pid ${pid}) did not exit`);
  }
}

/** Stops a mongod this process started, and lets go of its pipes. */
export async function stopMongodChild(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined) await terminate(child.pid);
  // Under wine the wineserver and its helpers inherit mongod's stdio pipes and may outlive it
  // (another mongod.exe in the same prefix); close our ends so they cannot keep node alive.
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && !(await isZombie(pid))) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}
