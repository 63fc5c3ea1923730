import { Injectable } from '@nestjs/common';
import type { Page, RefusedDeadLetterView } from '@app/contracts';
import { RefusedDeadLetterRepository, type PageRequest } from '@app/dal';

@Injectable()
export class ListRefusedDeadLettersUseCase {
  constructor(private readonly refused: RefusedDeadLetterRepository) {}

  async execute(page: PageRequest): Promise<Page<RefusedDeadLetterView>> {
    const { items, nextCursor } = await this.refused.list(page);
    return {
      data: items.map((entry) => ({
        id: entry._id,
        appId: entry.appId,
        reason: entry.reason,
        refusal: entry.refusal,
        size: entry.size,
        routingKey: entry.routingKey,
        messageId: entry.messageId,
        refusedAt: entry.refusedAt.toISOString(),
      })),
      nextCursor,
    };
  }
}
