import { apiConfigSchema } from './api.config';
import { ConfigError, loadConfig } from './load-config';
import { notifierConfigSchema } from './notifier.config';
import { tracingConfig, tracingConfigSchema } from './tracing.config';

const tracing = (env: Record<string, string>) =>
  tracingConfig(loadConfig(tracingConfigSchema, env));

describe('tracing configuration (OTEL_*)', () => {
  it('is off unless an OTLP endpoint is set', () => {
    expect(tracing({})).toEqual({ enabled: false, serviceName: undefined });
    expect(tracing({ OTEL_SERVICE_NAME: 'mine' }).enabled).toBe(false);
  });

  it('is on with OTEL_EXPORTER_OTLP_ENDPOINT or the traces-only endpoint', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).enabled).toBe(true);
    expect(
      tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' }).enabled,
    ).toBe(true);
  });

  it('stays off with OTEL_SDK_DISABLED=true, as the specification says', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracing({ ...env, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracing({ ...env, OTEL_SDK_DISABLED: ' TRUE ' }).enabled).toBe(false);
    expect(tracing({ ...env, OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
  });

  it('takes OTEL_SERVICE_NAME over the process name', () => {
    expect(tracing({ OTEL_SERVICE_NAME: 'notify-eu' }).serviceName).toBe('notify-eu');
  });

  it.each([apiConfigSchema, notifierConfigSchema])(
    'refuses a malformed endpoint at boot, naming it',
    (schema) => {
      expect(() => loadConfig(schema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
        ConfigError,
      );
      expect(() => loadConfig(schema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' })).toThrow(
        /OTEL_EXPORTER_OTLP_ENDPOINT: must start with http: or https:/,
      );
    },
  );
});
