import type { UpdateApp } from '@app/contracts';

export interface UpdateAppCommand {
  appId: string;
  changes: UpdateApp;
}
