import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { AttemptRepository, MessageRepository, type PageRequest } from '@app/dal';
import { presentAttempt } from '../message.presenter';

export interface ListAttemptsQuery {
  appId: string;
  messageId: string;
  page: PageRequest;
}

@Injectable()
export class ListAttemptsUseCase {
  constructor(
    private readonly messages: MessageRepository,
    private readonly attempts: AttemptRepository,
  ) {}

  async execute({ appId, messageId, page }: ListAttemptsQuery) {
    if ((await this.messages.findById(appId, messageId)) === null) {
      throw AppError.notFound('Message', messageId);
    }
    const { items, nextCursor } = await this.attempts.listByMessage(appId, messageId, page);
    return { data: items.map(presentAttempt), nextCursor };
  }
}
