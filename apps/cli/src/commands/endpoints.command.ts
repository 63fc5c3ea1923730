import type { NotifyClient } from '@app/client';
import type { CreatedEndpoint, EndpointView } from '@app/contracts';
import { formatDuration } from '@app/retry-policy';
import {
  buildCreateEndpoint,
  buildUpdateEndpoint,
  type EndpointFlags,
} from '../endpoints/endpoint-flags';
import {
  orDash,
  printJson,
  printLine,
  renderFields,
  printList,
  truncate,
  type Io,
  type JsonFlag,
} from '../output';

/** `notify endpoints create`: prints the endpoint with its secret and recipient token, once. */
export async function createEndpointCommand(
  client: NotifyClient,
  io: Io,
  flags: EndpointFlags & JsonFlag,
): Promise<void> {
  const created = await client.createEndpoint(buildCreateEndpoint(flags));
  if (flags.json) {
    printJson(io, created);
    return;
  }
  printLine(io, renderCreated(created));
}

/** `notify endpoints list`: every endpoint of the app, newest first (all pages). */
export async function listEndpointsCommand(
  client: NotifyClient,
  io: Io,
  options: JsonFlag,
): Promise<void> {
  printList(io, await client.allEndpoints(), options, {
    empty: 'no endpoints yet (notify endpoints create --endpoint-url <url>)',
    columns: ['ID', 'CHANNEL', 'TARGET', 'EVENT TYPES', 'ENABLED', 'FAILURES', 'DESCRIPTION'],
    row: (endpoint) => [
      endpoint.id,
      endpoint.channel,
      truncate(targetOf(endpoint), 50),
      truncate(endpoint.eventTypes.join(','), 30),
      endpoint.enabled ? 'yes' : 'no',
      String(endpoint.consecutiveFailures),
      truncate(orDash(endpoint.description), 40),
    ],
  });
}

/** `notify endpoints get <id>` (`--json`: GET /v1/endpoints/:id). */
export async function getEndpointCommand(
  client: NotifyClient,
  io: Io,
  endpointId: string,
  options: JsonFlag,
): Promise<void> {
  printEndpoint(io, await client.getEndpoint(endpointId), options);
}

/** `notify endpoints update <id> [flags]`: prints the endpoint as changed. */
export async function updateEndpointCommand(
  client: NotifyClient,
  io: Io,
  endpointId: string,
  flags: EndpointFlags & JsonFlag,
): Promise<void> {
  printEndpoint(io, await client.updateEndpoint(endpointId, buildUpdateEndpoint(flags)), flags);
}

/** `notify endpoints delete <id>` (`--json`: `{ id, deleted: true }`). */
export async function deleteEndpointCommand(
  client: NotifyClient,
  io: Io,
  endpointId: string,
  options: JsonFlag,
): Promise<void> {
  await client.deleteEndpoint(endpointId);
  if (options.json) printJson(io, { id: endpointId, deleted: true });
  else printLine(io, `endpoint ${endpointId} deleted; its pending deliveries are cancelled`);
}

/** `notify endpoints rotate-secret <id>`: prints the new secret, shown only here. */
export async function rotateSecretCommand(
  client: NotifyClient,
  io: Io,
  endpointId: string,
  options: JsonFlag,
): Promise<void> {
  const rotated = await client.rotateSecret(endpointId);
  if (options.json) {
    printJson(io, rotated);
    return;
  }
  printLine(io, rotated.secret);
  io.stderr.write(
    'the new secret is shown only now; the previous one keeps signing beside it for 24 hours\n',
  );
}

function printEndpoint(io: Io, endpoint: EndpointView, options: JsonFlag): void {
  if (options.json) printJson(io, endpoint);
  else printLine(io, renderEndpoint(endpoint));
}

export function renderEndpoint(endpoint: EndpointView): string {
  return renderFields(endpointRows(endpoint));
}

function endpointRows(endpoint: EndpointView): [string, string][] {
  return [
    ['endpoint', endpoint.id],
    ['channel', endpoint.channel],
    [endpoint.channel === 'webhook' ? 'url' : 'to', targetOf(endpoint)],
    ['event types', endpoint.eventTypes.join(', ')],
    [
      'retry schedule',
      endpoint.retrySchedule.map(formatDuration).join(', ') || 'none (one attempt)',
    ],
    ['timeout', formatDuration(endpoint.timeoutMs)],
    ['enabled', endpoint.enabled ? 'yes' : `no${reasonOf(endpoint)}`],
    ['failures in a row', String(endpoint.consecutiveFailures)],
    ['last success', orDash(endpoint.lastSuccessAt)],
    ['last failure', orDash(endpoint.lastFailureAt)],
    ['fallback', orDash(endpoint.fallbackEndpointId)],
    ['description', orDash(endpoint.description)],
    ['created', endpoint.createdAt],
  ];
}

function renderCreated(created: CreatedEndpoint): string {
  const fields = renderFields([
    ...endpointRows(created),
    ['secret', orDash(created.secret)],
    ['recipient token', created.recipientToken],
  ]);
  return `${fields}\n\nthe secret and the recipient token are shown only now: keep them`;
}

function reasonOf(endpoint: EndpointView): string {
  return endpoint.disabledReason === null ? '' : ` (${endpoint.disabledReason})`;
}

function targetOf(endpoint: EndpointView): string {
  return orDash(endpoint.url ?? endpoint.to);
}
