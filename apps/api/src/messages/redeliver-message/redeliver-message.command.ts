export interface RedeliverMessageCommand {
  appId: string;
  messageId: string;
}
