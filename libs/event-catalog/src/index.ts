export * from './event-schema';
export * from './schema-failure';
export * from './tenant-schema-rules';
export * from './event-type-catalog';
