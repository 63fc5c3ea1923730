/** One event type of an app, by name (GET, DELETE). */
export interface EventTypeRefCommand {
  appId: string;
  name: string;
}
