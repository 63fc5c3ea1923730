import { loadReceiverConfig } from '../config';
import { startReceiver } from './receiver';

/** `npm run example:receiver` */
async function main(): Promise<void> {
  const receiver = await startReceiver(loadReceiverConfig());
  console.log(`receiver on ${receiver.url}/webhooks`);
  const stop = () => void receiver.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(
    `receiver failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
});
