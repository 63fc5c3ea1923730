import type { mongo } from 'mongoose';
import type { Recipient } from '../support/recipient';
import { producePaced, type AmqpProducer } from './amqp-producer';
import { ADMIN_KEY, storedMessageIds, type apiClient } from './run-support';

const PATH = '/minted';
const EVENT_TYPE = 'chaos.minted';

/** A request for a `seq` the recipient had received before (see MintedMessages.repeats). */
export interface Repeat {
  /** When that `seq` first arrived. */
  firstAt: number;
  sameId: boolean;
}

/**
 * A second app of a chaos run, whose producer sets no message id: intake mints each message's id
 * and writes it and its first delivery unconfirmed (docs/architecture.md, "Intake"). A batch
 * published again after a lost confirm, or redelivered after a crash or a broker node's shutdown
 * lost its acknowledgement, is minted anew, so its messages are told apart by `seq` in the payload,
 * not by id.
 */
export class MintedMessages {
  private constructor(
    readonly count: number,
    readonly appId: string,
    private readonly recipient: Recipient,
  ) {}

  /** Creates the app and its endpoint at the recipient, with `settings` (retries, timeout). */
  static async create(
    request: ReturnType<typeof apiClient>,
    recipient: Recipient,
    count: number,
    name: string,
    settings: object,
  ): Promise<MintedMessages> {
    const app = (await request('POST', '/v1/apps', ADMIN_KEY, { name })).body;
    const endpoint = await request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: recipient.url(PATH),
      eventTypes: [EVENT_TYPE],
      ...settings,
    });
    expect(endpoint.status).toBe(201);
    return new MintedMessages(count, app.id, recipient);
  }

  /** Publishes them all over `producer`, the i-th once `dueAt(i, count)` has passed. */
  produce(producer: AmqpProducer, dueAt: (i: number, count: number) => number): Promise<void> {
    return producePaced(producer, this.count, dueAt, (i) => ({
      eventType: EVENT_TYPE,
      payload: { seq: i },
      options: { headers: { 'x-app-id': this.appId } },
    }));
  }

  /** The `seq`s the recipient received. */
  received(): Set<number> {
    return new Set(this.requests().map(({ seq }) => seq));
  }

  /** Those not received yet, named for the drain's report. */
  missing(): string[] {
    const received = this.received();
    return Array.from({ length: this.count }, (_, i) => i)
      .filter((i) => !received.has(i))
      .map((i) => `minted #${i}`);
  }

  /**
   * Requests beyond the first for each `seq`, in arrival order: `sameId` when under an id the
   * recipient had already received (a first attempt made again after its write was lost), else
   * minted anew (a batch published again, or redelivered by the broker after it was stored).
   */
  repeats(): Repeat[] {
    const first = new Map<number, { at: number; ids: Set<string | undefined> }>();
    const repeats: Repeat[] = [];
    for (const { at, id, seq } of this.requests()) {
      const seen = first.get(seq);
      if (seen === undefined) first.set(seq, { at, ids: new Set([id]) });
      else {
        repeats.push({ firstAt: seen.at, sameId: seen.ids.has(id) });
        seen.ids.add(id);
      }
    }
    return repeats;
  }

  /** The ids of the app's messages MongoDB holds. */
  stored(db: mongo.Db): Promise<Set<string>> {
    return storedMessageIds(db, this.appId);
  }

  private requests(): { at: number; id: string | undefined; seq: number }[] {
    return (this.recipient.requests.get(PATH) ?? []).map(({ at, id, data }) => ({
      at,
      id,
      seq: (data as { seq: number }).seq,
    }));
  }

  /** Ids the recipient got that are not among `stored`: ones the API does not show. */
  unknownIds(stored: ReadonlySet<string>): string[] {
    return [...this.recipient.ids(PATH)].filter((id) => !stored.has(id));
  }
}
