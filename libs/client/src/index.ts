/**
 * The producer and recipient SDK of the notification platform (docs/sdk.md). No Nest: plain
 * classes over amqplib, the MongoDB driver and global fetch.
 */
export * from './amqp/amqp-publisher';
export * from './backoff';
export * from './errors';
export * from './http/admin-client';
export * from './http/http-transport';
export * from './http/notify-client';
export * from './http/pages';
export * from './inbox/cursor-store';
export * from './inbox/inbox-follower';
export * from './message-id';
export * from './outbox/outbox';
export * from './outbox/outbox-relay';
export * from './receiver/dedupe-store';
export * from './receiver/webhook-receiver';
