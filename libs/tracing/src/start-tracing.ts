import { loadConfig, tracingConfig, tracingConfigSchema } from '@app/config';
import type { TracingSdk } from './tracing-sdk';

let started = false;
let sdk: TracingSdk | undefined;

/**
 * Traces this process when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set and
 * `OTEL_SDK_DISABLED` is not `true`; otherwise does nothing, and the SDK is never loaded.
 *
 * Runs before the modules it instruments (http, express, amqplib, mongodb) and the logger are
 * loaded: each entry point imports its `tracing.ts` first. The first call names the process, so
 * `npm start`, which loads both apps, traces as notify-platform; later calls do nothing.
 */
export function startTracing(serviceName: string): void {
  if (started) return;
  started = true;
  let config;
  try {
    config = tracingConfig(loadConfig(tracingConfigSchema));
  } catch {
    // The app's own configuration includes these variables and names the bad one at boot.
    return;
  }
  if (!config.enabled) return;
  // Loaded only now, and synchronously: an import() would resolve after the entry point's own
  // imports had loaded, unpatched, the modules the instrumentations must wrap.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  sdk = startSdk(config.serviceName ?? serviceName);
}

/** Whether this process traces (startTracing found an endpoint). */
export function tracingOn(): boolean {
  return sdk !== undefined;
}

/** Exports the spans still buffered; the last step of a graceful shutdown. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
}
