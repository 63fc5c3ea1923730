import { newId } from '@app/common';
import type { DeliveryEntity, MessageEntity } from '@app/dal';
import type { mongo } from 'mongoose';

/** Not a delivery status the platform knows: the scheduler's claim query never matches it. */
const HELD = 'bench_held';
const CHUNK = 5_000;

/**
 * Writes `count` retries straight into MongoDB, spread over `endpointIds` (one message per
 * endpoint group), as they would be after a first failed attempt, but held back. `release`
 * then makes all of them due at once, in one update, the way a recipient's outage ending would.
 */
export async function seedHeldRetries(
  db: mongo.Db,
  appId: string,
  endpointIds: readonly string[],
  count: number,
  phase: string,
  onProgress: (written: number) => void,
): Promise<void> {
  const messages = db.collection<MessageEntity>('messages');
  const deliveries = db.collection<
    DeliveryEntity | (Omit<DeliveryEntity, 'status'> & { status: string })
  >('deliveries');
  const firstAttempt = new Date(Date.now() - 120_000);
  let written = 0;
  let seq = 0;
  while (written < count) {
    const messageDocs: MessageEntity[] = [];
    const deliveryDocs: (Omit<DeliveryEntity, 'status'> & { status: string })[] = [];
    while (deliveryDocs.length < CHUNK && written + deliveryDocs.length < count) {
      const targets = endpointIds.slice(0, count - written - deliveryDocs.length);
      const message: MessageEntity = {
        _id: newId('msg'),
        appId,
        eventType: 'bench.fanout',
        payload: { phase, seq: seq++, sentAt: 0 },
        targetEndpointIds: [...targets],
        status: 'pending',
        createdAt: firstAttempt,
      };
      messageDocs.push(message);
      for (const endpointId of targets) {
        deliveryDocs.push({
          _id: newId('dlv'),
          appId,
          messageId: message._id,
          endpointId,
          channel: 'webhook',
          status: HELD,
          attemptCount: 1,
          nextAttemptAt: new Date(firstAttempt.getTime() + 15_000),
          lastAttemptAt: firstAttempt,
          lastError: 'HTTP 503',
          deliveredAt: null,
          claimToken: null,
          createdAt: firstAttempt,
          updatedAt: firstAttempt,
        });
      }
    }
    await messages.insertMany(messageDocs, { ordered: false });
    await deliveries.insertMany(deliveryDocs, { ordered: false });
    written += deliveryDocs.length;
    onProgress(written);
  }
}

/** Makes every held retry of the app due, at once. Returns how long the update took (ms). */
export async function releaseHeldRetries(db: mongo.Db, appId: string): Promise<number> {
  const started = performance.now();
  await db
    .collection<{ appId: string; status: string }>('deliveries')
    .updateMany({ appId, status: HELD }, { $set: { status: 'pending' } });
  return performance.now() - started;
}
