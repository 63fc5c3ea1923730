import { startTracing } from '@app/tracing';

// Imported first by main.ts: the SDK (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be in place
// before http, express, amqplib, mongodb and the logger are loaded.
startTracing('notify-notifier');
