import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { tracingOn } from './start-tracing';

/**
 * A message's trace context as kept with the message in MongoDB: the propagator's fields
 * (`traceparent`, `tracestate` with the default W3C propagator).
 */
export type StoredTrace = Record<string, string>;

/** Where a piece of work stands in its trace, handed from a callback to the batch it joins. */
export type TraceContext = Context;

const tracer = () => trace.getTracer('notify-platform');

/**
 * Runs `work` outside the current trace, handing it the current context (an AMQP message's
 * consume span, in a consumer's callback; undefined while tracing is off). For callbacks that
 * only queue an item for a batch: what the batch does later must not land in the trace of
 * whichever item happened to start it.
 */
export function handOff(work: (trace: TraceContext | undefined) => void): void {
  if (!tracingOn()) return work(undefined);
  const trace = context.active();
  context.with(ROOT_CONTEXT, () => work(trace));
}

/**
 * Stores a batch with a span per message, each the child of its own message's context (see
 * handOff): `store` gets the messages, each with its span's context as `trace`, to keep
 * with the message so that its attempts continue the trace. Without tracing it stores them as
 * they are. `messages` is not empty.
 */
export async function traceStore<M extends object, R>(
  parents: readonly (TraceContext | undefined)[],
  messages: readonly M[],
  store: (messages: (M & { trace?: StoredTrace })[]) => Promise<R>,
): Promise<R> {
  if (!tracingOn()) return store([...messages]);
  const spans = messages.map((_, index) =>
    tracer().startSpan('notify store', {}, parents[index] ?? ROOT_CONTEXT),
  );
  try {
    const traced = messages.map((message, index) => ({ ...message, trace: carry(spans[index]!) }));
    // The batch's writes (the MongoDB spans) show under its first message's store span.
    return await context.with(trace.setSpan(ROOT_CONTEXT, spans[0]!), () => store(traced));
  } catch (error) {
    for (const span of spans) failed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

export interface AttemptSpanFields {
  /** The message's stored trace (absent for messages stored while tracing was off). */
  trace: StoredTrace | undefined;
  /** The delivery before this attempt: its attempt number is attemptCount + 1. */
  delivery: {
    _id: string;
    appId: string;
    messageId: string;
    endpointId: string;
    channel: string;
    attemptCount: number;
    /** Set on a fallback delivery, attempted only once its primary failed: hours on, maybe. */
    fallbackFor?: string;
  };
}

/**
 * Runs an attempt in a span of its own, so that its outbound request carries `traceparent`. The
 * first attempt continues the message's trace; a later one (a retry, minutes or hours on, or a
 * fallback's) starts a trace of its own that links to it, rather than stretching one trace over
 * a day.
 */
export async function traceAttempt<
  R extends { outcome: string; statusCode?: number; error?: string },
>(fields: AttemptSpanFields, send: () => Promise<R>): Promise<R> {
  if (!tracingOn()) return send();
  const { delivery } = fields;
  const attemptNumber = delivery.attemptCount + 1;
  const stored = storedSpanContext(fields.trace);
  const continues = stored !== undefined && continuesMessageTrace(delivery);
  const parent = continues ? trace.setSpanContext(ROOT_CONTEXT, stored) : ROOT_CONTEXT;
  const attributes: Attributes = {
    'notify.attempt.number': attemptNumber,
    'notify.app.id': delivery.appId,
    'notify.message.id': delivery.messageId,
    'notify.delivery.id': delivery._id,
    'notify.endpoint.id': delivery.endpointId,
    'notify.channel': delivery.channel,
  };
  const links = !continues && stored !== undefined ? [{ context: stored }] : [];
  const span = tracer().startSpan('notify attempt', { attributes, links }, parent);
  try {
    const result = await context.with(trace.setSpan(parent, span), send);
    span.setAttribute('notify.attempt.outcome', result.outcome);
    if (result.statusCode !== undefined) {
      span.setAttribute('http.response.status_code', result.statusCode);
    }
    if (result.outcome !== 'delivered') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? result.outcome });
    }
    return result;
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * The first attempt of a delivery made at intake continues its message's trace; any other (a
 * retry, a fallback's, attempted after its primary failed) starts a trace that links to it.
 */
export function continuesMessageTrace(delivery: AttemptSpanFields['delivery']): boolean {
  return delivery.attemptCount === 0 && delivery.fallbackFor === undefined;
}

function carry(span: Span): StoredTrace {
  const carrier: StoredTrace = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier;
}

function storedSpanContext(stored: StoredTrace | undefined): SpanContext | undefined {
  if (stored === undefined) return undefined;
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, stored));
  return spanContext !== undefined && trace.isSpanContextValid(spanContext)
    ? spanContext
    : undefined;
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
}
