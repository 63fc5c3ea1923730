export interface CreateAppCommand {
  name: string;
}
