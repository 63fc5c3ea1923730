import { readFileSync } from 'node:fs';
import type { NotifyClient } from '@app/client';
import type { EventTypeView, PutEventType } from '@app/contracts';
import { UsageError } from '../cli-error';
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

/** The flags of `notify event-types put`; `--schema` and `--examples` take JSON or `@file`. */
export interface PutEventTypeFlags extends JsonFlag {
  description?: string;
  schema?: string;
  examples?: string;
  deprecated?: boolean;
}

/** `notify event-types list`: every registered event type of the app (all pages). */
export async function listEventTypesCommand(
  client: NotifyClient,
  io: Io,
  options: JsonFlag,
): Promise<void> {
  printList(io, await client.allEventTypes(), options, {
    empty: 'no event types registered yet (notify event-types put <name> --schema @schema.json)',
    columns: ['NAME', 'VERSION', 'SCHEMA', 'DEPRECATED', 'DESCRIPTION'],
    row: (eventType) => [
      eventType.name,
      String(eventType.version),
      eventType.schema === null ? 'no' : 'yes',
      eventType.deprecated ? 'yes' : 'no',
      truncate(orDash(eventType.description), 50),
    ],
  });
}

/** `notify event-types get <name>`. */
export async function getEventTypeCommand(
  client: NotifyClient,
  io: Io,
  name: string,
  options: JsonFlag,
): Promise<void> {
  printEventType(io, await client.getEventType(name), options);
}

/** `notify event-types put <name>`: registers it or replaces its whole definition. */
export async function putEventTypeCommand(
  client: NotifyClient,
  io: Io,
  name: string,
  flags: PutEventTypeFlags,
): Promise<void> {
  const definition: Partial<PutEventType> = {
    ...(flags.description === undefined ? {} : { description: flags.description }),
    ...(flags.schema === undefined
      ? {}
      : { schema: jsonOrFile('--schema', flags.schema) as PutEventType['schema'] }),
    ...(flags.examples === undefined
      ? {}
      : { examples: jsonOrFile('--examples', flags.examples) as PutEventType['examples'] }),
    ...(flags.deprecated === true ? { deprecated: true } : {}),
  };
  printEventType(io, await client.putEventType(name, definition), flags);
}

/** `notify event-types delete <name>`: archives it. */
export async function deleteEventTypeCommand(
  client: NotifyClient,
  io: Io,
  name: string,
  options: JsonFlag,
): Promise<void> {
  await client.archiveEventType(name);
  if (options.json) printJson(io, { name, archived: true });
  else printLine(io, `event type ${name} archived: its schema is no longer enforced`);
}

/** A flag's JSON, given inline or as `@path` to a file holding it. */
function jsonOrFile(flag: string, value: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`${flag}: cannot read ${value.slice(1)}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} is not JSON: ${(error as Error).message}`);
  }
}

function printEventType(io: Io, eventType: EventTypeView, options: JsonFlag): void {
  if (options.json) {
    printJson(io, eventType);
    return;
  }
  printLine(
    io,
    renderFields([
      ['event type', eventType.name],
      ['version', String(eventType.version)],
      ['description', orDash(eventType.description)],
      ['deprecated', eventType.deprecated ? 'yes' : 'no'],
      ['archived', orDash(eventType.archivedAt)],
      ['schema', eventType.schema === null ? '-' : JSON.stringify(eventType.schema)],
      ['examples', String(eventType.examples.length)],
      ['updated', eventType.updatedAt],
    ]),
  );
}
