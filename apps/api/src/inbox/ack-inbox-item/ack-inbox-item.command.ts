import type { InboxOwner } from '@app/dal';

export interface AckInboxItemCommand {
  owner: InboxOwner;
  messageId: string;
}
