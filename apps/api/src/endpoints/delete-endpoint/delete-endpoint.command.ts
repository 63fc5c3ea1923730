export interface DeleteEndpointCommand {
  appId: string;
  endpointId: string;
}
