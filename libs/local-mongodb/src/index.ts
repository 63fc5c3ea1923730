export * from './ensure-local-mongo';
export * from './local-mongodb';
