import { randomUUID } from 'node:crypto';
import type { mongo } from 'mongoose';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { orderingKeyId, type OrderingKeyEntity } from './ordering-key.entity';

/** Rounds of hand-overs before the repair is left to finish a key (it never should). */
const HAND_ON_ROUNDS = 8;
/**
 * A key taken this long ago whose delivery is still held was left by a caller that died between
 * its take and its release (they are consecutive writes): another caller releases it.
 */
const ABANDONED_TAKE_MS = 5_000;

type Keys = mongo.Collection<OrderingKeyEntity>;
type Deliveries = mongo.Collection<DeliveryEntity>;

/**
 * Makes the lowest held delivery of each of these keys active and due now, where none of the key's
 * is active and it is not blocked; returns the deliveries handed on to. Batched, since an outcome
 * batch ends hundreds of keys' deliveries at once: each round reads the keys, finds each free one's
 * next delivery, takes the free keys in one write fenced per key on its version and marked with
 * the round's token, reads back which takes held, and releases those deliveries in one write. A
 * key taken by another caller (intake, the repair, another notifier) is read again in the next
 * round, so of racing callers exactly one hands a key on. A take keeps the key's repair flag
 * (`checkSince`) until its delivery is released, so a caller dying between the two writes leaves
 * the key to the next caller or the ordering repair (lookAtBusy).
 */
export async function handOnKeys(
  keys: Keys,
  deliveries: Deliveries,
  refs: readonly { endpointId: string; key: string }[],
  now: Date,
): Promise<string[]> {
  let ids = [...new Set(refs.map((ref) => orderingKeyId(ref.endpointId, ref.key)))];
  const handedOn: string[] = [];
  for (let round = 0; round < HAND_ON_ROUNDS && ids.length > 0; round++) {
    const states = await keys.find({ _id: { $in: ids } }).toArray();
    const free = states.filter((state) => state.active === null && state.blocked === null);
    const flagged = states.filter(
      (state) => (state.active !== null || state.blocked !== null) && state.checkSince !== null,
    );
    const [taken, busy] = await Promise.all([
      take(keys, deliveries, free, now),
      lookAtBusy(deliveries, flagged, now),
    ]);
    const released = await release(keys, deliveries, [...taken.won, ...busy.stranded], now);
    const again = [...taken.lost, ...(await clearChecks(keys, busy.settled))];
    handedOn.push(...released.handedOn);
    again.push(...released.givenBack);
    ids = again;
  }
  return handedOn;
}

/**
 * The busy keys flagged for the repair: `settled`, blocked or with their active delivery released
 * (their flag can go: the end of that delivery, or the unblocking, hands them on); `stranded`, with
 * their active delivery still held since before `ABANDONED_TAKE_MS` (taken by a caller that died
 * before releasing it; the take leaves the flag until then), released like a take of this round.
 * One held more recently is left to its taker.
 */
async function lookAtBusy(
  deliveries: Deliveries,
  flagged: readonly OrderingKeyEntity[],
  now: Date,
): Promise<{ settled: OrderingKeyEntity[]; stranded: Taken[] }> {
  const active = flagged.filter((state) => state.active !== null);
  const held =
    active.length === 0
      ? []
      : await deliveries
          .find(
            { _id: { $in: active.map((state) => state.active!) }, status: 'held' },
            { projection: { _id: 1 } },
          )
          .toArray();
  const heldIds = new Set(held.map((delivery) => delivery._id));
  const before = now.getTime() - ABANDONED_TAKE_MS;
  return {
    settled: flagged.filter((state) => state.active === null || !heldIds.has(state.active)),
    stranded: active
      .filter((state) => heldIds.has(state.active!) && state.checkSince!.getTime() < before)
      .map((state) => ({ keyId: state._id, deliveryId: state.active! })),
  };
}

/** Clears the repair flag of settled busy keys; returns those written meanwhile, to read again. */
async function clearChecks(keys: Keys, flagged: readonly OrderingKeyEntity[]): Promise<string[]> {
  if (flagged.length === 0) return [];
  const result = await keys.bulkWrite(
    flagged.map((state) => ({
      updateOne: {
        filter: { _id: state._id, version: state.version },
        // Not a change of turn: the version stays, so a take racing with this is not fenced out.
        update: { $set: { checkSince: null } },
      },
    })),
    { ordered: false },
  );
  return result.modifiedCount === flagged.length ? [] : flagged.map((state) => state._id);
}

/** A key this round took, and the delivery it made active (none: nothing was held). */
interface Taken {
  keyId: string;
  deliveryId: string | undefined;
}

/** Takes the free keys for their lowest held deliveries; `lost`: keys another caller wrote first. */
async function take(
  keys: Keys,
  deliveries: Deliveries,
  free: readonly OrderingKeyEntity[],
  now: Date,
): Promise<{ won: Taken[]; lost: string[] }> {
  if (free.length === 0) return { won: [], lost: [] };
  const next = await lowestHeld(deliveries, free);
  const token = randomUUID();
  await keys.bulkWrite(
    free.map((state, i) => ({
      updateOne: {
        filter: { _id: state._id, version: state.version, active: null, blocked: null },
        update: {
          // A delivery taken keeps the repair flag until it is released: a caller that dies in
          // between leaves the key to the repair (stranded), not busy for ever.
          $set: {
            active: next[i] ?? null,
            handOnToken: token,
            checkSince: next[i] === undefined ? null : now,
            updatedAt: now,
          },
          $inc: { version: 1 },
        },
      },
    })),
    { ordered: false },
  );
  // Only this round's take sets its token, and only a free key can be taken: a key showing the
  // token is this round's, whatever was written to it since.
  const after = await keys
    .find(
      { _id: { $in: free.map((state) => state._id) }, handOnToken: token },
      { projection: { _id: 1 } },
    )
    .toArray();
  const won = new Set(after.map((state) => state._id));
  return {
    won: free.flatMap((state, i) =>
      won.has(state._id) ? [{ keyId: state._id, deliveryId: next[i] }] : [],
    ),
    lost: free.filter((state) => !won.has(state._id)).map((state) => state._id),
  };
}

/**
 * Makes the taken deliveries pending: due now, or when their app's pace put them if that is later
 * (IntakePacer). One that ended meanwhile (cancelled, or redelivered and done) gives its key's turn
 * back, and the key is read again; one redelivered and still in flight keeps the turn, and its end
 * hands the key on.
 */
async function release(
  keys: Keys,
  deliveries: Deliveries,
  taken: readonly Taken[],
  now: Date,
): Promise<{ handedOn: string[]; givenBack: string[] }> {
  const active = taken.filter(
    (t): t is Taken & { deliveryId: string } => t.deliveryId !== undefined,
  );
  if (active.length === 0) return { handedOn: [], givenBack: [] };
  const ids = active.map((t) => t.deliveryId);
  await deliveries.updateMany({ _id: { $in: ids }, status: 'held' }, [
    {
      $set: { status: 'pending', nextAttemptAt: { $max: [now, '$nextAttemptAt'] }, updatedAt: now },
    },
  ]);
  const ended = await deliveries
    .find({ _id: { $in: ids }, status: { $ne: 'pending' } }, { projection: { _id: 1 } })
    .toArray();
  const endedIds = new Set(ended.map((delivery) => delivery._id));
  await keys.bulkWrite(
    active.map((t) => ({
      updateOne: endedIds.has(t.deliveryId)
        ? {
            filter: { _id: t.keyId, active: t.deliveryId },
            update: { $set: { active: null, updatedAt: now }, $inc: { version: 1 } },
          }
        : // Released: the key no longer needs the repair (the flag the take left).
          {
            filter: { _id: t.keyId, active: t.deliveryId },
            update: { $set: { checkSince: null } },
          },
    })),
    { ordered: false },
  );
  return {
    handedOn: ids.filter((id) => !endedIds.has(id)),
    givenBack: active.filter((t) => endedIds.has(t.deliveryId)).map((t) => t.keyId),
  };
}

/**
 * Each key's lowest held delivery (undefined: none), in one aggregate of a branch per key, each
 * reading one entry of the key's index: a round trip per key cost ten times as much under load.
 */
async function lowestHeld(
  deliveries: Deliveries,
  free: readonly OrderingKeyEntity[],
): Promise<(string | undefined)[]> {
  const branch = (state: OrderingKeyEntity) => [
    { $match: { endpointId: state.endpointId, 'ordering.key': state.key, status: 'held' } },
    { $sort: { 'ordering.sequence': 1 } },
    { $limit: 1 },
    { $project: { _id: 1, endpointId: 1, key: '$ordering.key' } },
  ];
  const [first, ...others] = free;
  const found = await deliveries
    .aggregate<{ _id: string; endpointId: string; key: string }>([
      ...branch(first!),
      ...others.map((state) => ({
        $unionWith: { coll: deliveries.collectionName, pipeline: branch(state) },
      })),
    ])
    .toArray();
  const byKey = new Map(found.map((held) => [orderingKeyId(held.endpointId, held.key), held._id]));
  return free.map((state) => byKey.get(state._id));
}
