export interface RotateAppKeyCommand {
  appId: string;
  /** How long the replaced key keeps working, in ms; 0 revokes it at once. */
  gracePeriodMs: number;
}
