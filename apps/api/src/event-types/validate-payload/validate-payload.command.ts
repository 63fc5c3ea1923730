export interface ValidatePayloadCommand {
  appId: string;
  name: string;
  payload: Record<string, unknown>;
}
