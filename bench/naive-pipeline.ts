import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import axios from 'axios';
import { mongo } from 'mongoose';

/**
 * The comparison: the pipeline one writes first. One message at a time per consumer slot
 * (prefetch 100): consume -> insertOne message -> POST to each endpoint with axios -> updateOne
 * -> ack. Same broker, database and sink as the real thing. Run as its own process:
 *   node dist/bench/naive-pipeline.js '<json NaiveConfig>'
 */

export interface NaiveConfig {
  amqpUrl: string;
  mongodbUri: string;
  queue: string;
  /** Endpoint URLs by event type (what the real pipeline looks up in MongoDB). */
  endpoints: Record<string, string[]>;
}

interface Published {
  eventType: string;
  payload: Record<string, unknown>;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as NaiveConfig;
  const client = new mongo.MongoClient(config.mongodbUri);
  await client.connect();
  const messages = client
    .db()
    .collection<{ _id: string } & Record<string, unknown>>('naive_messages');
  const connection = await connect(config.amqpUrl);
  const channel = await connection.createChannel();
  await channel.prefetch(100);
  await channel.consume(config.queue, (amqpMessage) => {
    if (amqpMessage === null) return;
    void (async () => {
      const body = JSON.parse(amqpMessage.content.toString('utf8')) as Published;
      const id = `msg_${randomUUID().replaceAll('-', '')}`;
      const urls = config.endpoints[body.eventType] ?? [];
      await messages.insertOne({
        _id: id,
        appId: amqpMessage.properties.headers?.['x-app-id'] as string,
        eventType: body.eventType,
        payload: body.payload,
        status: 'pending',
        deliveries: urls.map((url) => ({ url, status: 'pending', attempts: 0 })),
        createdAt: new Date(),
      });
      for (const [index, url] of urls.entries()) {
        let status = 'failed';
        try {
          const response = await axios.post(
            url,
            { type: body.eventType, timestamp: new Date().toISOString(), data: body.payload },
            { headers: { 'webhook-id': id }, timeout: 10_000 },
          );
          if (response.status >= 200 && response.status < 300) status = 'succeeded';
        } catch {
          // counted as failed; the naive pipeline does not retry
        }
        await messages.updateOne(
          { _id: id },
          {
            $set: { [`deliveries.${index}.status`]: status, [`deliveries.${index}.attempts`]: 1 },
          },
        );
      }
      channel.ack(amqpMessage);
    })().catch((error: unknown) => {
      process.stderr.write(`naive: ${String(error)}\n`);
      channel.nack(amqpMessage, false, true);
    });
  });
  process.stdout.write('naive pipeline consuming\n');
  const stop = (): void => {
    void connection
      .close()
      .catch(() => undefined)
      .then(() => client.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`naive pipeline failed: ${String(error)}\n`);
  process.exit(1);
});
