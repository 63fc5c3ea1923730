export interface RecoverEndpointCommand {
  appId: string;
  endpointId: string;
  since: Date;
  /** Absent: up to now. */
  until?: Date;
  dryRun: boolean;
}
