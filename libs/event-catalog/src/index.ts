export * from './event-schema';
export * from './schema-failure';
export * from './tenant-schema-rules';
