export interface GetEndpointCommand {
  appId: string;
  endpointId: string;
}
