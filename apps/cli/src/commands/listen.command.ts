import { InboxFollower, MemoryCursorStore, type InboxClient, type SdkLogger } from '@app/client';
import type { InboxItem } from '@app/contracts';
import { parseDurationArg, parseTimeArg } from '../args';
import { WebhookForwarder, type ForwardResult } from '../listen/webhook-forwarder';
import { printJsonLine, printLine, type Io } from '../output';
import { pollUntilAborted } from '../poll-loop';

export interface ListenOptions {
  endpoint: string;
  forwardTo: string;
  since?: string;
  ack?: boolean;
  interval?: string;
  json?: boolean;
}

/** One line of `notify listen`: a message forwarded and what the local server answered. */
export interface ListenEvent {
  forwardedAt: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  /** The platform's own delivery of it, when it was read from the inbox. */
  deliveryStatus: InboxItem['deliveryStatus'];
  status: number | null;
  durationMs: number;
  error: string | null;
  /** Acknowledged in the inbox (`--ack` and a 2xx): the platform stops retrying it. */
  acked: boolean;
}

const PAGE_SIZE = 100;

/**
 * `notify listen`: follows an endpoint's inbox from now (or `--since`) and re-posts each message
 * to `--forward-to`, signed with the endpoint's secret, until interrupted (Ctrl-C exits 0). It
 * only makes outgoing requests (the inbox, the local URL): no tunnel, no inbound port. Each
 * message is forwarded once, whatever the local answer; with `--ack` a 2xx is acknowledged.
 */
export async function listenCommand(
  inbox: InboxClient,
  io: Io,
  options: ListenOptions & { secret: string },
  signal: AbortSignal,
): Promise<void> {
  WebhookForwarder.check(options.forwardTo, options.secret);
  const since = options.since === undefined ? new Date() : parseTimeArg('--since', options.since);
  const intervalMs = parseDurationArg('--interval', options.interval ?? '1s');
  const forwarder = new WebhookForwarder({ url: options.forwardTo, secret: options.secret });
  const handle = async (item: InboxItem) => {
    // Stops the walk: nothing more is forwarded once Ctrl-C was pressed.
    if (signal.aborted) throw new Error('stopped');
    const event = await forwardAndAck(inbox, forwarder, item, options, signal);
    print(io, event, options.json);
  };
  const quiet: SdkLogger = { warn: () => undefined };
  const follower = new InboxFollower({
    inbox,
    cursor: new MemoryCursorStore(),
    handler: handle,
    // Every message, also those the platform delivered itself; acks are decided here.
    skipSucceeded: false,
    ack: false,
    since,
    pageSize: PAGE_SIZE,
    logger: quiet,
  });
  // On stderr also with --json: stdout stays one JSON object a line.
  io.stderr.write(
    `forwarding messages of ${options.endpoint} that reached its inbox since ${since.toISOString()} to ${options.forwardTo}${options.ack ? ', acknowledging 2xx answers' : ''} (Ctrl-C to stop)\n`,
  );
  await pollUntilAborted(io, 'listen', intervalMs, signal, async () => {
    await follower.catchUp();
  });
}

async function forwardAndAck(
  inbox: InboxClient,
  forwarder: WebhookForwarder,
  item: InboxItem,
  options: ListenOptions,
  signal: AbortSignal,
): Promise<ListenEvent> {
  const forwardedAt = new Date().toISOString();
  const result: ForwardResult = await forwarder.forward(item, signal);
  let acked = false;
  let error = result.error;
  const accepted = result.status !== null && result.status >= 200 && result.status < 300;
  if (options.ack && accepted && item.deliveryStatus !== 'succeeded') {
    try {
      await inbox.ack(item.messageId);
      acked = true;
    } catch (ackError) {
      // The message was forwarded: report the failed ack on its line, do not forward it again.
      error = `ack failed: ${(ackError as Error).message}`;
    }
  }
  return {
    forwardedAt,
    endpointId: options.endpoint,
    messageId: item.messageId,
    eventType: item.eventType,
    deliveryStatus: item.deliveryStatus,
    status: result.status,
    durationMs: result.durationMs,
    error,
    acked,
  };
}

function print(io: Io, event: ListenEvent, json: boolean | undefined): void {
  if (json) {
    printJsonLine(io, event);
    return;
  }
  const answer = event.status === null ? `-> ${event.error ?? 'no answer'}` : `-> ${event.status}`;
  const parts = [
    event.forwardedAt,
    event.messageId,
    event.eventType,
    answer,
    `${event.durationMs}ms`,
  ];
  if (event.acked) parts.push('acked');
  else if (event.status !== null && event.error !== null) parts.push(event.error);
  printLine(io, parts.join('  '));
}
