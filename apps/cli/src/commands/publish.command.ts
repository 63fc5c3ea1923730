import type { NotifyClient } from '@app/client';
import { buildPublishMessage } from '../args';
import { printJson, printLine, type Io } from '../output';

export interface PublishOptions {
  eventType: string;
  payload: string;
  idempotencyKey?: string;
  endpoint?: string[];
  json?: boolean;
}

/** `notify publish`: POST /v1/messages; prints the new message id (`--json`: `{ id, status }`). */
export async function publishCommand(
  client: NotifyClient,
  io: Io,
  options: PublishOptions,
): Promise<void> {
  const accepted = await client.publish(buildPublishMessage(options));
  if (options.json) printJson(io, accepted);
  else printLine(io, accepted.id);
}
