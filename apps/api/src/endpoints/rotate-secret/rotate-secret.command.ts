export interface RotateSecretCommand {
  appId: string;
  endpointId: string;
}
