import { MongoClient } from 'mongodb';
import { AmqpPublisher, Outbox, OutboxRelay } from '@app/client';

/**
 * An outbox relay in a process of its own, for tests that SIGKILL it mid-run. Configured by
 * argv (JSON), prints "ready" once running.
 */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as {
    mongoUri: string;
    amqpUrl: string;
    appId: string;
    leaseMs: number;
    batchSize: number;
  };
  const client = await MongoClient.connect(config.mongoUri);
  const outbox = new Outbox(client.db(), { appId: config.appId });
  const publisher = new AmqpPublisher({
    url: config.amqpUrl,
    appId: config.appId,
    connectionName: 'outbox-relay-child',
  });
  const relay = new OutboxRelay({
    outbox,
    publisher,
    leaseMs: config.leaseMs,
    batchSize: config.batchSize,
    pollIntervalMs: 20,
  });
  relay.start();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`relay child failed: ${String(error)}\n`);
  process.exitCode = 1;
});
