export * from './app.contract';
export * from './duration.schema';
export * from './endpoint.contract';
export * from './event-type';
export * from './list.contract';
export * from './message.contract';
export * from './routing';
