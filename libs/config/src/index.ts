export * from './api.config';
export * from './cli.config';
export * from './env';
export * from './load-config';
export * from './log-level.config';
export * from './notifier.config';
export * from './security.config';
export * from './broker-user';
