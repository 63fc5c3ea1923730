import { LOCAL_DB_PATH, LOCAL_PORT } from './ensure-local-mongo';
import { startLocalMongo } from './local-mongodb';

/**
 * A local MongoDB in one terminal:
 *   node dist/libs/local-mongodb/src/main.js [dbPath=.data/mongodb] [port=$MONGODB_PORT|27027]
 * Prints the connection string on stdout (progress on stderr); Ctrl+C stops it cleanly.
 * The defaults are those of `npm start` (ensure-local-mongo.ts), which then finds and reuses it.
 */

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return LOCAL_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`"${text}" is not a TCP port`);
  }
  return port;
}

async function main(): Promise<void> {
  const dbPath = process.argv[2] ?? LOCAL_DB_PATH;
  const port = parsePort(process.argv[3] ?? process.env.MONGODB_PORT);
  const mongo = await startLocalMongo({
    dbPath,
    port,
    log: (line) => process.stderr.write(`[local-mongodb] ${line}\n`),
  });
  process.stdout.write(`${mongo.uri}\n`);

  const stop = (): void => {
    process.stderr.write('[local-mongodb] stopping\n');
    mongo.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[local-mongodb] stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[local-mongodb] ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
