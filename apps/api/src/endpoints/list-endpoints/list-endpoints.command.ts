import type { PageRequest } from '@app/dal';

export interface ListEndpointsCommand {
  appId: string;
  page: PageRequest;
}
