import type { ListMessagesQuery } from '@app/contracts';

export interface ListMessagesCommand {
  appId: string;
  query: ListMessagesQuery;
}
