export * from './log-fields';
export * from './pipeline-spans';
export { startTracing, stopTracing, tracingOn } from './start-tracing';
