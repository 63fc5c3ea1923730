import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EXAMPLE_STATE_FILE, loadSetupConfig } from '../config';
import { setupExample } from './setup';

/** `npm run example:setup`: creates the example app and endpoint, saves them for the others. */
async function main(): Promise<void> {
  const config = loadSetupConfig();
  const state = await setupExample({
    notifyUrl: config.NOTIFY_URL,
    adminKey: config.ADMIN_API_KEY,
    receiverUrl: config.RECEIVER_URL,
  });
  await mkdir(dirname(EXAMPLE_STATE_FILE), { recursive: true });
  await writeFile(EXAMPLE_STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  console.log(`app ${state.appId} and endpoint ${state.endpointId} -> ${config.RECEIVER_URL}`);
  console.log(
    `saved to ${EXAMPLE_STATE_FILE}; now: npm run example:receiver, npm run example:shop`,
  );
}

main().catch((error: unknown) => {
  console.error(`example setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
