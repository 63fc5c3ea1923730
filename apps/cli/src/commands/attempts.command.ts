import type { NotifyClient } from '@app/client';
import { orDash, printList, truncate, type Io, type JsonFlag } from '../output';

/** `notify attempts <messageId>`: every attempt, oldest first (all pages). */
export async function attemptsCommand(
  client: NotifyClient,
  io: Io,
  messageId: string,
  options: JsonFlag,
): Promise<void> {
  // A message that does not exist answers 404 here, not an empty list.
  printList(io, await client.allAttempts(messageId), options, {
    empty: `no attempts yet for ${messageId}`,
    columns: ['#', 'DELIVERY', 'ENDPOINT', 'STARTED', 'DURATION', 'OUTCOME', 'STATUS', 'ERROR'],
    row: (attempt) => [
      String(attempt.attempt),
      attempt.deliveryId,
      attempt.endpointId,
      attempt.startedAt,
      `${attempt.durationMs}ms`,
      attempt.outcome,
      orDash(attempt.statusCode),
      truncate(orDash(attempt.error), 60),
    ],
  });
}
