import type { NotifyClient } from '@app/client';
import { orDash, printJson, printLine, renderTable, truncate, type Io } from '../output';

/**
 * `notify attempts <messageId>`: every attempt, oldest first, all pages walked. `--json` prints
 * the list in the API's list shape, `{ "data": [...], "nextCursor": null }`.
 */
export async function attemptsCommand(
  client: NotifyClient,
  io: Io,
  messageId: string,
  options: { json?: boolean },
): Promise<void> {
  // A message that does not exist answers 404 here, not an empty list.
  const attempts = await client.allAttempts(messageId);
  if (options.json) {
    printJson(io, { data: attempts, nextCursor: null });
    return;
  }
  if (attempts.length === 0) {
    printLine(io, `no attempts yet for ${messageId}`);
    return;
  }
  printLine(
    io,
    renderTable(
      ['#', 'DELIVERY', 'ENDPOINT', 'STARTED', 'DURATION', 'OUTCOME', 'STATUS', 'ERROR'],
      attempts.map((attempt) => [
        String(attempt.attempt),
        attempt.deliveryId,
        attempt.endpointId,
        attempt.startedAt,
        `${attempt.durationMs}ms`,
        attempt.outcome,
        orDash(attempt.statusCode),
        truncate(orDash(attempt.error), 60),
      ]),
    ),
  );
}
