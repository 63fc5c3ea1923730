import type { InboxQuery } from '@app/contracts';
import type { InboxOwner } from '@app/dal';

export interface ListInboxCommand {
  owner: InboxOwner;
  query: InboxQuery;
}
