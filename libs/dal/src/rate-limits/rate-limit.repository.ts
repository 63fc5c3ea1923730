import type { Model, mongo } from 'mongoose';
import type { PaceEntity, RateWindowEntity } from './rate-window.schema';

/** A window document outlives its window by this much, then the TTL index removes it. */
const WINDOW_RETENTION_MS = 60_000;

/**
 * Counters shared by every API and notifier process: how much of a limit all of them together
 * used in the current window (attempts to an endpoint per second, an app's messages per second,
 * its emails per hour), and an app's pace of message intake.
 */
export class RateLimitRepository {
  constructor(private readonly model: Model<RateWindowEntity>) {}

  private get collection(): mongo.Collection<RateWindowEntity> {
    return this.model.collection as unknown as mongo.Collection<RateWindowEntity>;
  }

  /**
   * Takes up to `wanted` of the `limit` a key allows in the window (by default one second) that
   * holds `now`, in one atomic round trip (an upserted `$inc`); returns how many it got. Asking
   * for more than is left counts the rest as taken, which only makes the window's answer "none
   * left" sooner.
   */
  async take(
    key: string,
    limit: number,
    wanted: number,
    now: Date,
    windowMs = 1_000,
  ): Promise<number> {
    if (wanted <= 0) return 0;
    const window = Math.floor(now.getTime() / windowMs);
    const found = await this.collection.findOneAndUpdate(
      { _id: windowMs === 1_000 ? `${key}:${window}` : `${key}:${windowMs}:${window}` },
      {
        $inc: { count: wanted },
        $setOnInsert: { expiresAt: new Date((window + 1) * windowMs + WINDOW_RETENTION_MS) },
      },
      { upsert: true, returnDocument: 'after', projection: { count: 1 } },
    );
    const before = (found?.count ?? wanted) - wanted;
    return Math.max(0, Math.min(wanted, limit - before));
  }

  /**
   * Books `count` consecutive slots, `1000 / perSecond` ms apart, for a key paced at `perSecond`
   * (a virtual-scheduling rate limit shared by every process): returns the first slot's time.
   * Slots are never earlier than `now`; an idle key's first slot is `now`. One atomic round trip.
   */
  async pace(key: string, perSecond: number, count: number, now: Date): Promise<Date> {
    const collection = this.model.collection as unknown as mongo.Collection<PaceEntity>;
    const start = { $max: [{ $ifNull: ['$next', now] }, now] };
    const before = await collection.findOneAndUpdate(
      { _id: `pace:${key}` },
      [
        { $set: { next: { $add: [start, Math.ceil((count * 1_000) / perSecond)] } } },
        { $set: { expiresAt: { $add: ['$next', WINDOW_RETENTION_MS] } } },
      ],
      { upsert: true, returnDocument: 'before', projection: { next: 1 } },
    );
    const next = before?.next;
    return next !== undefined && next > now ? next : now;
  }
}
