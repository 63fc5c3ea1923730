import type { AdminClient } from '@app/client';
import { printJson, printLine, renderFields, renderTable, orDash, type Io } from '../output';

/** `notify apps create --name <name>` (admin key): prints the app and its API key, once. */
export async function createAppCommand(
  admin: AdminClient,
  io: Io,
  options: { name: string; json?: boolean },
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
  options: { json?: boolean },
): Promise<void> {
  const apps = await admin.allApps();
  if (options.json) {
    printJson(io, { data: apps, nextCursor: null });
    return;
  }
  if (apps.length === 0) {
    printLine(io, 'no apps yet (notify apps create --name <name>)');
    return;
  }
  printLine(
    io,
    renderTable(
      ['ID', 'NAME', 'CREATED', 'BROKER USER'],
      apps.map((app) => [app.id, app.name, app.createdAt, orDash(app.brokerUser)]),
    ),
  );
}
