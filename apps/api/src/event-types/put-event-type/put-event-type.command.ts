import type { PutEventType } from '@app/contracts';

export interface PutEventTypeCommand {
  appId: string;
  name: string;
  definition: PutEventType;
}
