import { Injectable } from '@nestjs/common';
import type { MessageSummary, Page } from '@app/contracts';
import { MessageRepository } from '@app/dal';
import { presentMessageSummary } from '../message.presenter';
import type { ListMessagesCommand } from './list-messages.command';

/** Newest first; see MessageRepository.list for why the cursor never skips or repeats. */
@Injectable()
export class ListMessagesUseCase {
  constructor(private readonly messages: MessageRepository) {}

  async execute({ appId, query }: ListMessagesCommand): Promise<Page<MessageSummary>> {
    const { limit, cursor, ...filters } = query;
    const { items, nextCursor } = await this.messages.list(appId, filters, { limit, cursor });
    return { data: items.map(presentMessageSummary), nextCursor };
  }
}
