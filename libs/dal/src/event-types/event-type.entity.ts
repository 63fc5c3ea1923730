/** An app's registered event type (PUT /v1/event-types/:name). */
export interface EventTypeEntity {
  _id: string;
  appId: string;
  name: string;
  description?: string;
  /**
   * The JSON Schema, as JSON text: a schema's keys (`$ref`, `$defs`, names with dots) are not all
   * ones MongoDB stores or queries safely as field names.
   */
  schemaJson?: string;
  /** The examples, as a JSON array's text (same reason). */
  examplesJson?: string;
  deprecated: boolean;
  /** 1 when created, incremented by every PUT and by archiving: validators are cached by it. */
  version: number;
  /** Set by DELETE: the event type no longer counts as registered; a PUT registers it again. */
  archivedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** What a PUT sets: whatever is left out is removed (a PUT replaces the definition). */
export interface EventTypeDefinition {
  description?: string;
  schemaJson?: string;
  examplesJson?: string;
  deprecated: boolean;
}
