export * from './database-uri';
export * from './ensure-local-mongo';
export * from './local-mongodb';
export * from './local-replica-set';
