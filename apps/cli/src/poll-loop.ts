import { sleep } from '@app/client';
import { isTransient } from './cli-error';
import type { Io } from './output';

/**
 * The loop of a following command (`tail`, `listen`): `look` now and then every interval until
 * the signal aborts. The first look must work (a wrong URL or credential ends the command with
 * its error); later an unreachable API or a 5xx is reported on stderr and retried with backoff,
 * up to 30 intervals apart. A look cut short by the signal ends the loop quietly.
 */
export async function pollUntilAborted(
  io: Io,
  name: string,
  intervalMs: number,
  signal: AbortSignal,
  look: () => Promise<void>,
): Promise<void> {
  let first = true;
  let failures = 0;
  while (!signal.aborted) {
    try {
      await look();
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      if (first || !isTransient(error)) throw error;
      failures += 1;
      io.stderr.write(`${name}: ${(error as Error).message} (retrying)\n`);
    }
    first = false;
    await sleep(intervalMs * Math.min(2 ** failures, 30), signal);
  }
}
