import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { byId, Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { AppRepository, DeliveryRepository, MessageRepository, type MessageEntity } from '@app/dal';
import { IntakePacer } from '../isolation/intake-pacer';
import { EndpointCache } from './endpoint-cache';
import { FanOut } from './fan-out';
import { OrderedDeliveries } from './ordered-deliveries';
import { StaleTargets } from './stale-targets';
import type {
  IncomingMessage,
  StoreMessagesCommand,
  StoreMessagesResult,
  StoreResult,
} from './store-messages.command';
import { toMessage } from './to-message';

/**
 * Stores a batch of incoming messages and their deliveries in a few bulk writes. Safe to run
 * twice for the same input (a crash before the broker ack replays it): the message id is fixed
 * by the producer or the idempotency key, and a message already stored gets its missing
 * deliveries recreated from the targets it was stored with.
 */
@Injectable()
export class StoreMessagesUseCase {
  /** Apps are never deleted, so a positive answer can be kept. */
  private readonly knownApps = new Set<string>();

  constructor(
    private readonly apps: AppRepository,
    private readonly endpoints: EndpointCache,
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly pacer: IntakePacer,
    private readonly ordered: OrderedDeliveries,
    private readonly staleTargets: StaleTargets,
  ) {}

  async execute(command: StoreMessagesCommand): Promise<StoreMessagesResult> {
    const now = this.clock.now();
    const claimToken = randomUUID();
    const appIds = await this.existingApps(command.messages.map((message) => message.appId));
    // Endpoints held are checked beside the insert (EndpointCache.forIntake).
    const { byApp, check } = await this.endpoints.forIntake([...appIds]);
    check?.catch(() => undefined);
    let endpointsById = byId([...byApp.values()].flat());

    const results: StoreResult[] = [];
    const docs: MessageEntity[] = [];
    const incoming = new Map<string, IncomingMessage>();
    const minted = new Set<string>();
    for (const message of command.messages) {
      if (!appIds.has(message.appId)) {
        results.push({ stored: false, reason: `unknown app ${message.appId} (header x-app-id)` });
        continue;
      }
      const doc = toMessage(message, byApp.get(message.appId) ?? [], now);
      // Written beside its deliveries, unless some may be held: those are numbered first.
      if (doc._id === message.mintedId && message.orderingKey === undefined) minted.add(doc._id);
      incoming.set(doc._id, message);
      docs.push(doc);
      results.push({ stored: true, messageId: doc._id });
    }

    // Messages over their app's messagesPerSecond are stored now, their first attempts due later.
    // Booking the pace is a write of its own: it runs beside the inserts, and what was inserted
    // claimed over the pace is postponed before anything is attempted.
    const pacing = this.pacer.deferrals(docs, now);
    const fanOut = new FanOut(command.slots, endpointsById, claimToken, now, this.config.leaseMs);
    try {
      // A message whose id was minted at intake cannot be stored already, so its claimed
      // deliveries are written beside it: one round trip less before its first attempt. Its
      // unclaimed ones wait for the message, since any notifier may claim them at once.
      // Both are written unconfirmed (UNCONFIRMED), so that the first attempt does not wait for
      // the journal: the intake consumer acknowledges them to the broker once they are confirmed.
      let early = fanOut.plan(docs.filter((doc) => minted.has(doc._id)));
      const [duplicateIds, earlyNotWritten] = await settleBoth(
        this.insertMessages(docs, minted),
        this.deliveries.insertMany(
          early.filter((d) => d.claimToken === claimToken),
          { unconfirmed: true },
        ),
      );
      const unconfirmedMessageIds = [...minted];
      let fresh = docs.filter((doc) => !duplicateIds.has(doc._id));
      const current = await check;
      if (current !== undefined) {
        endpointsById = byId([...current.values()].flat());
        fanOut.use(endpointsById);
        // Planned from endpoints that had just changed: stored again as they are, planned anew.
        const mended = await this.staleTargets.mend(
          fresh,
          current,
          incoming,
          early,
          claimToken,
          now,
        );
        if (mended.size > 0) {
          early = early.filter((d) => !mended.has(d.messageId));
          fresh = fresh.map((doc) => mended.get(doc._id) ?? doc);
          for (const id of mended.keys()) minted.delete(id);
        }
      }
      const deferred = await pacing;
      fanOut.defer(deferred);
      const overPace = early.filter(
        (d) =>
          d.claimToken === claimToken && deferred.has(d.messageId) && !earlyNotWritten.has(d._id),
      );
      await this.deliveries.postpone(
        overPace.map((d) => ({ deliveryId: d._id, dueAt: deferred.get(d.messageId)! })),
        claimToken,
      );
      const replayed = await this.replayedMessages(docs, duplicateIds, results);
      // Only fresh deliveries are claimed: a replayed one may be in another worker's hands.
      const late = await this.ordered.number(
        [
          ...fanOut.deferred(early.filter((d) => d.claimToken !== claimToken)),
          ...fanOut.plan(fresh.filter((doc) => !minted.has(doc._id))),
          ...fanOut.plan(replayed, { claim: false }),
        ],
        docs.map((doc) => doc._id),
        new Set(replayed.map((doc) => doc._id)),
        now,
      );
      const notWritten = new Set([...earlyNotWritten, ...(await this.deliveries.insertMany(late))]);
      await this.ordered.handOn(
        late.filter((d) => d.ordering !== undefined),
        now,
      );
      // One that was not written (its message and endpoint already have one) is not ours.
      const written = [...early, ...late].filter((d) => !notWritten.has(d._id));
      const claimed = written.filter(
        (d) => d.claimToken === claimToken && !deferred.has(d.messageId),
      );
      // A slot taken for a delivery that was not written goes back.
      fanOut.giveBackAllBut(claimed);
      return {
        results,
        claimed,
        claimToken,
        unconfirmed: {
          messageIds: unconfirmedMessageIds,
          // Withdrawn (mended) ones are gone: only the early ones still planned.
          deliveryIds: early
            .filter((d) => d.claimToken === claimToken && !earlyNotWritten.has(d._id))
            .map((d) => d._id),
        },
        unclaimed: written.filter((d) => d.claimToken !== claimToken && !deferred.has(d.messageId))
          .length,
        endpoints: endpointsById,
        messages: byId([...fresh, ...replayed]),
      };
    } catch (error) {
      fanOut.giveBackAllBut([]);
      throw error;
    }
  }

  /** The minted ones unconfirmed, the rest as every write; the ids already stored. */
  private async insertMessages(
    docs: readonly MessageEntity[],
    minted: ReadonlySet<string>,
  ): Promise<Set<string>> {
    const [duplicates, mintedDuplicates] = await settleBoth(
      this.messages.insertMany(docs.filter((doc) => !minted.has(doc._id))),
      this.messages.insertMany(
        docs.filter((doc) => minted.has(doc._id)),
        { unconfirmed: true },
      ),
    );
    return new Set([...duplicates, ...mintedDuplicates]);
  }

  private async existingApps(ids: readonly string[]): Promise<Set<string>> {
    const unknown = [...new Set(ids)].filter((id) => !this.knownApps.has(id));
    if (unknown.length > 0) {
      for (const id of await this.apps.findExistingIds(unknown)) this.knownApps.add(id);
    }
    return new Set(ids.filter((id) => this.knownApps.has(id)));
  }

  /**
   * Messages whose id was already stored. The same app's: a replay or a repeated idempotency key,
   * answered with the stored message. Another app's id (a forged x-message-id): refused.
   */
  private async replayedMessages(
    docs: readonly MessageEntity[],
    duplicateIds: ReadonlySet<string>,
    results: StoreResult[],
  ): Promise<MessageEntity[]> {
    if (duplicateIds.size === 0) return [];
    const duplicates = docs.filter((candidate) => duplicateIds.has(candidate._id));
    // Not found among the app's own: the id is another app's.
    const stored = byId(
      await this.messages.findByIds(duplicates.map((doc) => ({ appId: doc.appId, id: doc._id }))),
    );
    const sameApp: MessageEntity[] = [];
    for (const doc of duplicates) {
      const existing = stored.get(doc._id);
      if (existing !== undefined) {
        sameApp.push(existing);
        continue;
      }
      const index = results.findIndex((result) => result.stored && result.messageId === doc._id);
      results[index] = { stored: false, reason: `message id ${doc._id} belongs to another app` };
    }
    return sameApp;
  }
}

/** Both writes run to the end before a failure of either is thrown (none is left in flight). */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}
