import type { Command } from 'commander';
import {
  deleteEventTypeCommand,
  getEventTypeCommand,
  listEventTypesCommand,
  putEventTypeCommand,
  type PutEventTypeFlags,
} from '../commands/event-types.command';
import type { Io } from '../output';
import type { ClientFor } from './options';

/** `notify event-types ...`: the app's event catalog. */
export function addEventTypeCommands(program: Command, clientFor: ClientFor, io: Io): void {
  const eventTypes = program
    .command('event-types')
    .description("the app's event catalog: event types and the schemas enforced on them (app key)");
  eventTypes
    .command('list')
    .description('every registered event type of the app, newest first (GET /v1/event-types)')
    .action(async (_options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await listEventTypesCommand(client, io, { json });
    });
  eventTypes
    .command('get')
    .description('an event type with its schema (GET /v1/event-types/:name)')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await getEventTypeCommand(client, io, name, { json });
    });
  eventTypes
    .command('put')
    .description(
      'register an event type or replace its whole definition (PUT /v1/event-types/:name); what is not given is removed',
    )
    .argument('<name>')
    .option('--description <text>', 'what the event means')
    .option('--schema <json|@file>', 'JSON Schema (2020-12) every payload must match')
    .option(
      '--examples <json|@file>',
      'a JSON array of example payloads, each checked against the schema',
    )
    .option('--deprecated', 'mark it deprecated')
    .action(async (name: string, flags: PutEventTypeFlags, command: Command) => {
      const { client, json } = clientFor(command);
      await putEventTypeCommand(client, io, name, { ...flags, json });
    });
  eventTypes
    .command('delete')
    .description(
      'archive an event type: no longer registered, its schema no longer enforced (DELETE /v1/event-types/:name)',
    )
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await deleteEventTypeCommand(client, io, name, { json });
    });
}
