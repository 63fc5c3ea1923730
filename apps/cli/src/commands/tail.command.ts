import { NotifyApiError, type NotifyClient } from '@app/client';
import type { MessageDetail, MessageSummary } from '@app/contracts';
import { parseDurationArg, parseTimeArg } from '../args';
import { printJsonLine, printLine, truncate, type Io } from '../output';
import { pollUntilAborted } from '../poll-loop';
import { DeliveryTracker, type TailEvent } from '../tail/delivery-tracker';

export interface TailOptions {
  since?: string;
  interval?: string;
  eventType?: string;
  endpoint?: string;
  json?: boolean;
}

const DETAIL_CONCURRENCY = 8;
const PAGE_SIZE = 100;

/**
 * `notify tail`: follows deliveries as they happen, until interrupted (Ctrl-C exits 0). Every
 * interval it lists the messages created since the start (`--since`, default 10 s ago) newest
 * first, fetches the ones that are new, changed or pending, and prints one line per delivery whose
 * status, attempt count or last error changed (`--json`: one JSON object per line).
 */
export async function tailCommand(
  client: NotifyClient,
  io: Io,
  options: TailOptions,
  signal: AbortSignal,
): Promise<void> {
  const now = new Date();
  const start = parseTimeArg('--since', options.since ?? '10s', now);
  const intervalMs = parseDurationArg('--interval', options.interval ?? '1s');
  const tracker = new DeliveryTracker(start, { endpointId: options.endpoint });
  if (!options.json) {
    io.stderr.write(
      `following deliveries of messages created since ${start.toISOString()} (Ctrl-C to stop)\n`,
    );
  }
  await pollUntilAborted(io, 'tail', intervalMs, signal, async () => {
    for (const event of await poll(client, tracker, options)) print(io, event, options.json);
  });
}

async function poll(
  client: NotifyClient,
  tracker: DeliveryTracker,
  options: TailOptions,
): Promise<TailEvent[]> {
  const now = new Date();
  const summaries = await listWindow(client, tracker.windowStart(), options);
  const listed = new Set(summaries.map((summary) => summary.id));
  // Oldest first, so the lines come out in the order things happened.
  const ids = [
    ...tracker.dueForRecheck(now, listed),
    ...summaries
      .filter((summary) => tracker.needsDetail(summary, now))
      .map((summary) => summary.id)
      .reverse(),
  ];
  const details = await mapConcurrently(ids, DETAIL_CONCURRENCY, async (id) => {
    try {
      return await client.getMessage(id);
    } catch (error) {
      if (error instanceof NotifyApiError && error.status === 404) {
        tracker.forget(id);
        return undefined;
      }
      throw error;
    }
  });
  return details
    .filter((detail): detail is MessageDetail => detail !== undefined)
    .flatMap((detail) => tracker.observe(detail, now));
}

async function listWindow(
  client: NotifyClient,
  since: Date,
  options: TailOptions,
): Promise<MessageSummary[]> {
  const summaries: MessageSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listMessages({
      since,
      limit: PAGE_SIZE,
      ...(options.eventType === undefined ? {} : { eventType: options.eventType }),
      ...(options.endpoint === undefined ? {} : { endpointId: options.endpoint }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    summaries.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return summaries;
}

function print(io: Io, event: TailEvent, json: boolean | undefined): void {
  if (json) {
    printJsonLine(io, event);
    return;
  }
  const parts = [
    event.observedAt,
    event.messageId,
    event.eventType,
    event.deliveryId ?? '-',
    event.endpointId ?? '-',
    event.channel ?? '-',
    event.status.padEnd(9),
    `attempts=${event.attemptCount}`,
  ];
  if (event.status === 'pending' && event.nextAttemptAt !== null)
    parts.push(`next=${event.nextAttemptAt}`);
  if (event.lastError !== null) parts.push(`error="${truncate(event.lastError, 80)}"`);
  printLine(io, parts.join('  '));
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
