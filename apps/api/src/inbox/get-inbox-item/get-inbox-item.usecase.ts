import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import type { InboxItem } from '@app/contracts';
import { InboxRepository, MessageRepository } from '@app/dal';
import { presentInboxItem } from '../inbox.presenter';
import type { GetInboxItemCommand } from './get-inbox-item.command';

/** 404 for a message not addressed to this endpoint, whoever else it went to. */
@Injectable()
export class GetInboxItemUseCase {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly messages: MessageRepository,
  ) {}

  async execute({ owner, messageId }: GetInboxItemCommand): Promise<InboxItem> {
    const delivery = await this.inbox.findByMessage(owner, messageId);
    const message = delivery === null ? null : await this.messages.findById(owner.appId, messageId);
    if (delivery === null || message === null) throw notInInbox(messageId);
    return presentInboxItem(delivery, message);
  }
}

export function notInInbox(messageId: string): AppError {
  return AppError.notFound('Message', `${messageId} in this inbox`);
}
