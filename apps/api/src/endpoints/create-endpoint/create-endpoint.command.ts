import type { CreateEndpoint } from '@app/contracts';

export interface CreateEndpointCommand {
  appId: string;
  endpoint: CreateEndpoint;
}
