import type { NotifyClient } from '@app/client';
import type { MessageDetail } from '@app/contracts';
import {
  orDash,
  printJson,
  printLine,
  renderFields,
  renderTable,
  truncate,
  type Io,
  type JsonFlag,
} from '../output';

/** `notify status <messageId>`: the message and its deliveries (`--json`: GET /v1/messages/:id). */
export async function statusCommand(
  client: NotifyClient,
  io: Io,
  messageId: string,
  options: JsonFlag,
): Promise<void> {
  const message = await client.getMessage(messageId);
  if (options.json) {
    printJson(io, message);
    return;
  }
  printLine(io, renderStatus(message));
}

export function renderStatus(message: MessageDetail): string {
  const fields = renderFields([
    ['message', message.id],
    ['event type', message.eventType],
    ['status', message.status],
    ['created', message.createdAt],
    ['idempotency key', orDash(message.idempotencyKey)],
    ['payload', truncate(JSON.stringify(message.payload), 100)],
  ]);
  if (message.deliveries.length === 0) return `${fields}\n\nno deliveries`;
  const table = renderTable(
    ['DELIVERY', 'ENDPOINT', 'CHANNEL', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR'],
    message.deliveries.map((delivery) => [
      delivery.id,
      delivery.endpointId,
      delivery.channel,
      delivery.status,
      String(delivery.attemptCount),
      orDash(delivery.nextAttemptAt),
      truncate(orDash(delivery.lastError), 60),
    ]),
  );
  return `${fields}\n\n${table}`;
}
