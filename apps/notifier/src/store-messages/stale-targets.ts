import { Injectable } from '@nestjs/common';
import { groupBy } from '@app/common';
import {
  DeliveryRepository,
  MessageRepository,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';
import type { IncomingMessage } from './store-messages.command';
import { toMessage } from './to-message';

/**
 * Messages intake stored with targets planned from endpoints that had just changed (the check
 * beside the insert, EndpointCache.forIntake, found a change its cache had not seen): those whose
 * targets differ under the endpoints as they are now are stored again with those targets, and the
 * deliveries planned for them are withdrawn, before anything is attempted. See "What a message
 * accepted during an endpoint change gets" in docs/architecture.md.
 */
@Injectable()
export class StaleTargets {
  constructor(
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /**
   * Mends the messages just `stored` whose targets differ under `current` (each app's endpoints),
   * withdrawing what was `planned` for them under `claimToken`. Returns them as they are now
   * stored, by id.
   */
  async mend(
    stored: readonly MessageEntity[],
    current: ReadonlyMap<string, readonly EndpointEntity[]>,
    incoming: ReadonlyMap<string, IncomingMessage>,
    planned: readonly DeliveryEntity[],
    claimToken: string,
    now: Date,
  ): Promise<Map<string, MessageEntity>> {
    const mended = new Map<string, MessageEntity>();
    for (const doc of stored) {
      const again = toMessage(incoming.get(doc._id)!, current.get(doc.appId) ?? [], now);
      if (!sameTargets(again, doc)) mended.set(doc._id, again);
    }
    if (mended.size === 0) return mended;
    const byApp = groupBy([...mended.values()], (doc) => doc.appId);
    await Promise.all([
      ...[...byApp].map(([appId, group]) => this.messages.retarget(appId, group)),
      this.deliveries.withdraw(
        planned.filter((d) => mended.has(d.messageId)).map((d) => d._id),
        claimToken,
      ),
    ]);
    return mended;
  }
}

function sameTargets(a: MessageEntity, b: MessageEntity): boolean {
  const targets = new Set(a.targetEndpointIds);
  return (
    a.targetEndpointIds.length === b.targetEndpointIds.length &&
    b.targetEndpointIds.every((id) => targets.has(id))
  );
}
