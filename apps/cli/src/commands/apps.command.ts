import type { AdminClient } from '@app/client';
import {
  orDash,
  printJson,
  printLine,
  printList,
  renderFields,
  type Io,
  type JsonFlag,
} from '../output';

/** `notify apps create --name <name>` (admin key): prints the app and its API key, once. */
export async function createAppCommand(
  admin: AdminClient,
  io: Io,
  options: { name: string } & JsonFlag,
): Promise<void> {
  const created = await admin.createApp({ name: options.name });
  if (options.json) {
    printJson(io, created);
    return;
  }
  printLine(
    io,
    renderFields([
      ['app', created.id],
      ['name', created.name],
      ['api key', created.apiKey],
    ]),
  );
  io.stderr.write('the API key is shown only now: keep it (export NOTIFY_API_KEY=...)\n');
}

/** `notify apps list` (admin key): every app, newest first (all pages). */
export async function listAppsCommand(
  admin: AdminClient,
  io: Io,
  options: JsonFlag,
): Promise<void> {
  printList(io, await admin.allApps(), options, {
    empty: 'no apps yet (notify apps create --name <name>)',
    columns: ['ID', 'NAME', 'CREATED', 'BROKER USER'],
    row: (app) => [app.id, app.name, app.createdAt, orDash(app.brokerUser)],
  });
}
