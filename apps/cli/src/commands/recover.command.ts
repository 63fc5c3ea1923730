import type { NotifyClient } from '@app/client';
import { parseTimeArg } from '../args';
import { UsageError } from '../cli-error';
import { printJson, printLine, withProgress, type Io } from '../output';

export interface RecoverOptions {
  since: string;
  until?: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `notify recover <endpointId> --since <time> [--until <time>] [--dry-run]`: every delivery of
 * the endpoint that ended failed in the window, scheduled again now (`--json`: `{ count }`).
 */
export async function recoverCommand(
  client: NotifyClient,
  io: Io,
  endpointId: string,
  options: RecoverOptions,
): Promise<void> {
  const now = new Date();
  const since = parseTimeArg('--since', options.since, now);
  const until =
    options.until === undefined ? undefined : parseTimeArg('--until', options.until, now);
  if (until !== undefined && since >= until)
    throw new UsageError('--until must be later than --since');
  const dryRun = options.dryRun ?? false;
  const request = client.recoverEndpoint(endpointId, {
    since,
    ...(until === undefined ? {} : { until }),
    dryRun,
  });
  const result = options.json
    ? await request
    : await withProgress(io, dryRun ? 'counting failed deliveries' : 'recovering', request);
  if (options.json) {
    printJson(io, result);
    return;
  }
  const window = `failed since ${since.toISOString()}${until ? ` until ${until.toISOString()}` : ''}`;
  const noun = result.count === 1 ? 'delivery' : 'deliveries';
  printLine(
    io,
    dryRun
      ? `${result.count} ${noun} of ${endpointId} (${window}) would be scheduled again (dry run, nothing changed)`
      : `${result.count} ${noun} of ${endpointId} (${window}) scheduled again now`,
  );
}
