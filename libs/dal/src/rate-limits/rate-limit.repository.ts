import type { Model, mongo } from 'mongoose';
import type { RateWindowEntity } from './rate-window.schema';

/** A window document outlives its second by this much, then the TTL index removes it. */
const WINDOW_RETENTION_MS = 60_000;

/**
 * Per-endpoint, per-second attempt counters shared by every notifier process: the one place that
 * knows how many attempts all of them together made to an endpoint in the current second.
 */
export class RateLimitRepository {
  constructor(private readonly model: Model<RateWindowEntity>) {}

  private get collection(): mongo.Collection<RateWindowEntity> {
    return this.model.collection as unknown as mongo.Collection<RateWindowEntity>;
  }

  /**
   * Takes up to `wanted` of the `limit` attempts an endpoint allows in the second that holds `now`,
   * in one atomic round trip (an upserted `$inc`); returns how many it got. Asking for more than
   * is left counts the rest as taken, which only makes the second's answer "none left" sooner.
   */
  async take(endpointId: string, limit: number, wanted: number, now: Date): Promise<number> {
    if (wanted <= 0) return 0;
    const second = Math.floor(now.getTime() / 1000);
    const window = await this.collection.findOneAndUpdate(
      { _id: `${endpointId}:${second}` },
      {
        $inc: { count: wanted },
        $setOnInsert: { expiresAt: new Date(second * 1000 + WINDOW_RETENTION_MS) },
      },
      { upsert: true, returnDocument: 'after', projection: { count: 1 } },
    );
    const before = (window?.count ?? wanted) - wanted;
    return Math.max(0, Math.min(wanted, limit - before));
  }
}
