export interface RotateRecipientTokenCommand {
  appId: string;
  endpointId: string;
}
