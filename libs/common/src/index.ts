export * from './errors/app-error';
export * from './errors/zod-details';
export * from './http/app-error.filter';
export * from './ids/ids';
export * from './time/clock';
export * from './process/run-until-signal';
