export * from './amqp-connection';
export * from './broker-policies';
export * from './confirm-publisher';
export * from './consumer';
export * from './topology';
export * from './messaging.module';
