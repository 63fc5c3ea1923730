import type { Command } from 'commander';
import {
  createEndpointCommand,
  deleteEndpointCommand,
  getEndpointCommand,
  listEndpointsCommand,
  rotateSecretCommand,
  updateEndpointCommand,
} from '../commands/endpoints.command';
import { recoverCommand, type RecoverOptions } from '../commands/recover.command';
import type { EndpointFlags } from '../endpoints/endpoint-flags';
import type { Io } from '../output';
import { collect, type ClientFor } from './options';

/** `notify endpoints ...`: the app's endpoints. */
export function addEndpointCommands(program: Command, clientFor: ClientFor, io: Io): void {
  const endpoints = program.command('endpoints').description("the app's endpoints (app key)");
  withEndpointFlags(
    endpoints
      .command('create')
      .description(
        'create an endpoint (POST /v1/endpoints); prints its secret and recipient token, shown only now',
      )
      .option('--channel <channel>', 'webhook (default), email or sms'),
  )
    .option('--disable', 'create it disabled')
    .action(async (flags: EndpointFlags, command: Command) => {
      const { client, json } = clientFor(command);
      await createEndpointCommand(client, io, { ...flags, json });
    });
  endpoints
    .command('list')
    .description('every endpoint of the app, newest first (GET /v1/endpoints)')
    .action(async (_options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await listEndpointsCommand(client, io, { json });
    });
  endpoints
    .command('get')
    .description('an endpoint and its health (GET /v1/endpoints/:id)')
    .argument('<endpointId>')
    .action(async (endpointId: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await getEndpointCommand(client, io, endpointId, { json });
    });
  withEndpointFlags(
    endpoints
      .command('update')
      .description('change an endpoint (PATCH /v1/endpoints/:id); --data {"field":null} clears one')
      .argument('<endpointId>'),
  )
    .option('--enable', 'enable it (again), e.g. after it was disabled for failing')
    .option('--disable', 'disable it: nothing is delivered to it')
    .action(async (endpointId: string, flags: EndpointFlags, command: Command) => {
      const { client, json } = clientFor(command);
      await updateEndpointCommand(client, io, endpointId, { ...flags, json });
    });
  endpoints
    .command('delete')
    .description(
      'delete an endpoint; its pending deliveries are cancelled (DELETE /v1/endpoints/:id)',
    )
    .argument('<endpointId>')
    .action(async (endpointId: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await deleteEndpointCommand(client, io, endpointId, { json });
    });
  endpoints
    .command('rotate-secret')
    .description('a new signing secret; the previous one keeps signing for 24 h')
    .argument('<endpointId>')
    .action(async (endpointId: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await rotateSecretCommand(client, io, endpointId, { json });
    });
  addRecoverCommand(endpoints.command('recover'), clientFor, io);
}

/** `notify recover` and `notify endpoints recover`: the same command under two names. */
export function addRecoverCommand(command: Command, clientFor: ClientFor, io: Io): void {
  command
    .description("schedule an endpoint's failed deliveries again (POST /v1/endpoints/:id/recover)")
    .argument('<endpointId>')
    .requiredOption('--since <time>', 'ISO 8601 time, or a duration ago: 90m, 2h, 1d')
    .option('--until <time>', 'end of the window (exclusive), same forms as --since')
    .option('--dry-run', 'only count them')
    .action(async (endpointId: string, options: RecoverOptions, command: Command) => {
      const { client, json } = clientFor(command);
      await recoverCommand(client, io, endpointId, { ...options, json });
    });
}

/** The flags shared by `endpoints create` and `endpoints update`. */
function withEndpointFlags(command: Command): Command {
  return command
    .option('--endpoint-url <url>', 'webhook URL (--url is where the API is)')
    .option('--to <address>', 'email address or E.164 phone number (email, sms)')
    .option(
      '--event-type <pattern>',
      'event types it receives: order.paid, order.*, * (repeatable)',
      collect,
    )
    .option(
      '--retry-schedule <delays>',
      'delays between attempts, e.g. 15s,1m,5m; none for one attempt',
    )
    .option('--timeout <duration>', 'per attempt, e.g. 10s')
    .option('--header <header>', '"Name: value" sent with each webhook (repeatable)', collect)
    .option('--description <text>')
    .option('--fallback <endpointId>', 'gets the message when a delivery here ends failed')
    .option(
      '--data <json>',
      'any other fields as a JSON object (template, successBody, ...); flags win',
    );
}
