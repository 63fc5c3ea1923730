import type { InboxOwner } from '@app/dal';

export interface GetInboxItemCommand {
  owner: InboxOwner;
  messageId: string;
}
