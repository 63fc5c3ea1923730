import { createConnection, type ConnectOptions, type Connection } from 'mongoose';
import { appSchema } from './apps/app.schema';
import { attemptSchema } from './attempts/attempt.schema';
import { refusedDeadLetterSchema } from './dead-letters/refused-dead-letter.schema';
import { deliverySchema } from './deliveries/delivery.schema';
import { endpointSchema } from './endpoints/endpoint.schema';
import { eventTypeSchema } from './event-types/event-type.schema';
import { inboxSequenceSchema } from './inbox/inbox-sequence.schema';
import { messageSchema } from './messages/message.schema';
import { orderingKeySchema } from './ordering/ordering-key.schema';
import { rateWindowSchema } from './rate-limits/rate-window.schema';
import { isNamespaceExists } from './shared/mongo-errors';

/** Every collection of the platform: model name, schema, collection name. */
const MODELS = [
  ['App', appSchema, 'apps'],
  ['Endpoint', endpointSchema, 'endpoints'],
  ['Message', messageSchema, 'messages'],
  ['Delivery', deliverySchema, 'deliveries'],
  ['Attempt', attemptSchema, 'attempts'],
  ['InboxSequence', inboxSequenceSchema, 'inbox_sequences'],
  ['RateWindow', rateWindowSchema, 'rate_windows'],
  ['RefusedDeadLetter', refusedDeadLetterSchema, 'refused_dead_letters'],
  ['EventType', eventTypeSchema, 'event_types'],
  ['OrderingKey', orderingKeySchema, 'ordering_keys'],
] as const;

/**
 * Connects, registers every model, and creates the collections and their indexes one at a time.
 * Everything that opens the platform's database goes through here: mongod under wine (the local
 * fallback, ADR 0003) can deadlock when one collection is created by two operations at once,
 * which mongoose's background auto-create racing an index build or a transaction would do.
 */
export async function openConnection(
  uri: string,
  options: Pick<ConnectOptions, 'monitorCommands'> = {},
): Promise<Connection> {
  const connection = createConnection(uri, {
    ...options,
    // Fail fast instead of queueing: callers answer 503 or stop acknowledging intake.
    bufferCommands: false,
    serverSelectionTimeoutMS: 5_000,
    maxPoolSize: 50,
    autoCreate: false,
    autoIndex: false,
  });
  await connection.asPromise();
  for (const [name, schema, collection] of MODELS) connection.model(name, schema, collection);
  const existing = new Set((await connection.listCollections()).map((c) => c.name));
  for (const model of Object.values(connection.models)) {
    if (!existing.has(model.collection.collectionName)) {
      await model.createCollection().catch(ignoreNamespaceExists);
    }
    await model.createIndexes();
  }
  return connection;
}

/** Another process created the collection first: fine. */
function ignoreNamespaceExists(error: unknown): void {
  if (!isNamespaceExists(error)) throw error;
}
