import { z } from 'zod';
import { env } from './env';

/**
 * The standard OpenTelemetry variables that decide whether a process traces at all. The SDK reads
 * the rest of the `OTEL_*` family itself (protocol, headers, sampler, resource attributes); they
 * are validated here only as far as turning tracing on goes.
 */
export const tracingEnv = {
  /** Tracing is on when this (or the traces-only variant) is set: the OTLP/HTTP receiver. */
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl(['http:', 'https:']),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.optionalUrl(['http:', 'https:']),
  /** Overrides the process's own name (notify-api, notify-notifier, notify-platform). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** The specification's off switch: `true` keeps the SDK unloaded whatever else is set. */
  OTEL_SDK_DISABLED: z.string().optional(),
};

export const tracingConfigSchema = z.object(tracingEnv);

export interface TracingConfig {
  enabled: boolean;
  serviceName: string | undefined;
}

export function tracingConfig(vars: z.output<typeof tracingConfigSchema>): TracingConfig {
  const endpoint = vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? vars.OTEL_EXPORTER_OTLP_ENDPOINT;
  return {
    enabled: endpoint !== undefined && vars.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true',
    serviceName: vars.OTEL_SERVICE_NAME,
  };
}
