export * from './channel';
export * from './webhook/target-guard';
export * from './webhook/webhook-signature';
export * from './webhook/webhook.channel';
