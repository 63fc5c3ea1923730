export * from './log-fields';
export { startTracing, stopTracing, tracingOn } from './start-tracing';
