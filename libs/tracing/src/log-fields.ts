import { trace } from '@opentelemetry/api';
import { tracingOn } from './start-tracing';

/** The ids of the span a log line is written in, for finding the line from the trace. */
function traceIds(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { traceId, spanId } : {};
}

/**
 * pino's `mixin` while tracing is on (undefined otherwise, so untraced lines cost nothing):
 * every line written inside a span carries its `traceId` and `spanId`. Asked when the logger is
 * made, after startTracing.
 */
export function traceLogMixin(): (() => object) | undefined {
  return tracingOn() ? traceIds : undefined;
}
