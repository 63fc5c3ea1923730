import { MongoClient } from 'mongodb';
import { AmqpPublisher, Outbox, OutboxRelay, type OutboxPublisher } from '@app/client';

/**
 * An outbox relay in a process of its own, for tests that SIGKILL it mid-run. Configured by
 * argv (JSON), prints "ready" once running.
 *
 * With `haltAfterPublished: k`, the round that brings the confirmed publishes to at least k
 * publishes its batch for real, prints "halted" and never returns: the relay then holds a
 * claimed batch the broker confirmed but that is not marked sent, and stays so until killed.
 * Tests kill it there instead of on a timer, so the state they assert on is certain.
 */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as {
    mongoUri: string;
    amqpUrl: string;
    appId: string;
    leaseMs: number;
    batchSize: number;
    haltAfterPublished?: number;
  };
  const client = await MongoClient.connect(config.mongoUri);
  const outbox = new Outbox(client.db(), { appId: config.appId });
  const amqp = new AmqpPublisher({
    url: config.amqpUrl,
    appId: config.appId,
    connectionName: 'outbox-relay-child',
  });
  const { haltAfterPublished } = config;
  let confirmed = 0;
  const publisher: OutboxPublisher =
    haltAfterPublished === undefined
      ? amqp
      : {
          appId: amqp.appId,
          publishBatch: async (items) => {
            const outcomes = await amqp.publishBatch(items);
            confirmed += outcomes.filter((outcome) => outcome.ok).length;
            if (confirmed < haltAfterPublished) return outcomes;
            process.stdout.write(`halted after ${confirmed} confirmed\n`);
            return new Promise(() => {});
          },
        };
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
