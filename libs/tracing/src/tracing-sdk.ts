import type { IncomingMessage } from 'node:http';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { NodeSDK } from '@opentelemetry/sdk-node';

export type TracingSdk = Pick<NodeSDK, 'shutdown'>;

/** Polled by probes and scrapers: a trace for each would drown the rest. */
const QUIET_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * The OpenTelemetry Node SDK with the instrumentations the pipeline crosses. Everything else comes
 * from the standard `OTEL_*` variables, read by the SDK: the exporter is OTLP, over HTTP with
 * protobuf unless `OTEL_EXPORTER_OTLP_PROTOCOL` says `http/json`; sampler, headers, resource
 * attributes and batching as the specification names them. Traces only: metrics stay on
 * Prometheus (`/metrics`), logs on stdout (with traceId and spanId, see traceLogMixin).
 */
export function startSdk(serviceName: string): TracingSdk {
  const sdk = new NodeSDK({
    serviceName,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) =>
          QUIET_PATHS.test(request.url ?? ''),
        // Outgoing calls are attempts (or the exporter's own): none should start a trace alone.
        requireParentforOutgoingSpans: true,
      }),
      // The route names the request's span (POST /v1/messages); Nest's middleware layers are noise.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new AmqplibInstrumentation(),
      // Only inside a traced operation: the scheduler's claim queries run every few hundred ms.
      new MongoDBInstrumentation({ requireParentSpan: true }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return sdk;
}
