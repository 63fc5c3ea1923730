import type { PublishMessage } from '@app/contracts';

export interface PublishMessageCommand {
  appId: string;
  message: PublishMessage;
}
