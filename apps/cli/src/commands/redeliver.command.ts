import type { NotifyClient } from '@app/client';
import { printJson, printLine, type Io, type JsonFlag } from '../output';

/** `notify redeliver <messageId>`: every delivery of the message again now, fresh schedule. */
export async function redeliverCommand(
  client: NotifyClient,
  io: Io,
  messageId: string,
  options: JsonFlag,
): Promise<void> {
  const result = await client.redeliverMessage(messageId);
  if (options.json) printJson(io, result);
  else
    printLine(
      io,
      `${result.deliveries} ${result.deliveries === 1 ? 'delivery' : 'deliveries'} of ${messageId} scheduled again now`,
    );
}
