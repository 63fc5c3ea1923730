export * from './api.config';
export * from './env';
export * from './load-config';
export * from './notifier.config';
