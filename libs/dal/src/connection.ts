import { ConnectionString } from 'mongodb-connection-string-url';
import { createConnection, type ConnectOptions, type Connection } from 'mongoose';
import { appSchema } from './apps/app.schema';
import { attemptSchema } from './attempts/attempt.schema';
import { refusedDeadLetterSchema } from './dead-letters/refused-dead-letter.schema';
import { deliverySchema } from './deliveries/delivery.schema';
import { endpointSchema } from './endpoints/endpoint.schema';
import { eventTypeSchema } from './event-types/event-type.schema';
import { inboxSequenceSchema } from './inbox/inbox-sequence.schema';
import { messageSchema } from './messages/message.schema';
import { statusRefreshSchema } from './messages/status-refresh.schema';
import { orderingKeySchema } from './ordering/ordering-key.schema';
import { rateWindowSchema } from './rate-limits/rate-window.schema';
import { ensureChangeLog } from './shared/change-log';
import { ignoreNamespaceExists, isIndexNotFound } from './shared/mongo-errors';

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
  ['StatusRefresh', statusRefreshSchema, 'status_refreshes'],
] as const;

/**
 * Indexes an earlier version created that nothing reads any more: MongoDB maintains an index on
 * every write until it is dropped, so each is dropped where it is found.
 */
const RETIRED_INDEXES = [
  // The backlog count (countDue) reads due_pending_by_app.
  ['deliveries', 'due_pending'],
  // Status refreshes are owed per outcome batch (status_refreshes), not flagged per delivery.
  ['deliveries', 'message_status_stale'],
  // Over every delivery, each outcome moved a key of both: open_by_endpoint, failed_by_endpoint
  // and inbox_by_status serve their reads, partial.
  ['deliveries', 'endpointId_1_status_1_updatedAt_1'],
  ['deliveries', 'endpointId_1_status_1_inboxSeq_1'],
  // Over every message, each one ending moved a key: ended_by_age serves retention, partial.
  ['messages', 'status_1_createdAt_1__id_1'],
] as const;

/**
 * How long an operation waits for a server it may use (the primary, for a write) before failing:
 * longer than a replica set election (10-12 s from the primary's loss to a new one), so a write
 * issued during an election lands on the new primary instead of failing, yet bounded, so the API
 * answers 503 (and intake leaves the batch unacknowledged, for redelivery) rather than hanging.
 */
const SERVER_SELECTION_TIMEOUT_MS = 15_000;

/**
 * Driver settings that survive elections and node failures (docs/scaling.md, "Failover"):
 * - `w: 'majority'` (journaled): a write is acknowledged only once a majority holds it, so a
 *   failover cannot roll back what we acknowledged on (an intake batch acked to the broker, a 2xx
 *   answered, a claim or an outcome recorded). One exception, UNCONFIRMED: intake's first writes
 *   of a message whose id it minted, confirmed (confirmHeld) before the broker is acked. Every
 *   correctness decision of the platform is a write (claims, outcomes, intake's insert) whose
 *   filter re-checks what it read, so reads keep the default `local` concern on the primary; the change log (ChangeLog) is written after the
 *   write it announces, so a process that reads it reads that write.
 * - retryable writes and reads (the drivers' defaults, stated): an operation that meets a stepped
 *   down or vanished primary is retried once on the new one, within the server selection timeout.
 * - a socket timeout: an operation on a connection to a host that vanished without a reset (a
 *   network cut) fails after it instead of waiting forever; far above any query of ours.
 * An option MONGODB_URI sets itself wins (an operator's tuning), except `w` and `journal`: the
 * platform's guarantees rest on majority writes (a `wtimeoutMS` given there is kept).
 */
const ELECTION_SAFE: ConnectOptions = {
  writeConcern: { w: 'majority', journal: true },
  // Also as its own option: a `journal` in the connection string would override the one above.
  journal: true,
  retryWrites: true,
  retryReads: true,
  serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
  socketTimeoutMS: 60_000,
};

const ENFORCED = new Set(['writeConcern', 'journal']);

/** ELECTION_SAFE, less what the connection string sets itself (the write concern aside). */
export function driverSettings(uri: string): ConnectOptions {
  const given = new ConnectionString(uri).typedSearchParams<Record<string, unknown>>();
  return Object.fromEntries(
    Object.entries(ELECTION_SAFE).filter(([name]) => ENFORCED.has(name) || !given.has(name)),
  );
}

/**
 * Connects, registers every model, and creates the collections and their indexes one at a time.
 * Everything that opens the platform's database goes through here: mongod under wine (the local
 * fallback, ADR 0003) can deadlock when one collection is created by two operations at once,
 * which mongoose's background auto-create racing an index build or a transaction would do.
 */
export async function openConnection(
  uri: string,
  options: Pick<ConnectOptions, 'monitorCommands' | 'maxPoolSize'> = {},
): Promise<Connection> {
  const connection = createConnection(uri, {
    ...driverSettings(uri),
    maxPoolSize: 50,
    ...options,
    // Fail fast instead of queueing: callers answer 503 or stop acknowledging intake.
    bufferCommands: false,
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
  await ensureChangeLog(connection.db!);
  await dropRetiredIndexes(connection);
  return connection;
}

async function dropRetiredIndexes(connection: Connection): Promise<void> {
  for (const [collectionName, index] of RETIRED_INDEXES) {
    const collection = connection.collection(collectionName);
    if (!(await collection.indexExists(index))) continue;
    await collection.dropIndex(index).catch((error: unknown) => {
      if (!isIndexNotFound(error)) throw error;
    });
  }
}
