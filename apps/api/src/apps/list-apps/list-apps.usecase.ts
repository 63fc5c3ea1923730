import { Injectable } from '@nestjs/common';
import type { Page } from '@app/contracts';
import { AppRepository, type PageRequest } from '@app/dal';

export interface AppView {
  id: string;
  name: string;
  createdAt: string;
}

@Injectable()
export class ListAppsUseCase {
  constructor(private readonly apps: AppRepository) {}

  async execute(page: PageRequest): Promise<Page<AppView>> {
    const { items, nextCursor } = await this.apps.list(page);
    return {
      data: items.map((app) => ({
        id: app._id,
        name: app.name,
        createdAt: app.createdAt.toISOString(),
      })),
      nextCursor,
    };
  }
}
