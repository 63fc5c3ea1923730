import { Injectable } from '@nestjs/common';
import type { InboxPage } from '@app/contracts';
import {
  InboxRepository,
  MessageRepository,
  decodeSequenceCursor,
  encodeSequenceCursor,
} from '@app/dal';
import { presentInboxItem } from '../inbox.presenter';
import type { ListInboxCommand } from './list-inbox.command';

/**
 * Oldest first, in the order messages reached this endpoint's inbox (see InboxRepository).
 * `nextCursor` is the position after the last item of every non-empty page, the last one
 * included: a recipient keeps it and asks again later for exactly what came since. An empty page
 * answers null, so a walk that stops at null stops; the recipient keeps the cursor it has.
 */
@Injectable()
export class ListInboxUseCase {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly messages: MessageRepository,
  ) {}

  async execute({ owner, query }: ListInboxCommand): Promise<InboxPage> {
    const afterSeq = query.after === undefined ? 0 : decodeSequenceCursor(query.after);
    const deliveries = await this.inbox.page(owner, {
      afterSeq,
      limit: query.limit,
      ...(query.status === 'all' ? {} : { status: query.status }),
      ...(query.since === undefined ? {} : { since: query.since }),
    });
    const messages = new Map(
      (
        await this.messages.findManyOfApp(
          owner.appId,
          deliveries.map((delivery) => delivery.messageId),
        )
      ).map((message) => [message._id, message]),
    );
    const data = deliveries.flatMap((delivery) => {
      const message = messages.get(delivery.messageId);
      return message === undefined ? [] : [presentInboxItem(delivery, message)];
    });
    const last = deliveries[deliveries.length - 1];
    return { data, nextCursor: last === undefined ? null : encodeSequenceCursor(last.inboxSeq!) };
  }
}
