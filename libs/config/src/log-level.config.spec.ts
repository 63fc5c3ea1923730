import { apiConfigSchema } from './api.config';
import { ConfigError, loadConfig } from './load-config';
import { LOG_LEVELS } from './log-level.config';
import { notifierConfigSchema } from './notifier.config';

describe('LOG_LEVEL', () => {
  it('defaults to info for both processes', () => {
    expect(loadConfig(apiConfigSchema, {}).logLevel).toBe('info');
    expect(loadConfig(notifierConfigSchema, {}).logLevel).toBe('info');
  });

  it.each(LOG_LEVELS)('reads %s', (level) => {
    expect(loadConfig(apiConfigSchema, { LOG_LEVEL: level }).logLevel).toBe(level);
    expect(loadConfig(notifierConfigSchema, { LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it.each(['verbose', 'INFO', 'warning', '30'])('refuses %s, naming the variable', (value) => {
    for (const schema of [apiConfigSchema, notifierConfigSchema]) {
      expect(() => loadConfig(schema, { LOG_LEVEL: value })).toThrow(ConfigError);
      expect(() => loadConfig(schema, { LOG_LEVEL: value })).toThrow(
        `LOG_LEVEL: must be one of silent, fatal, error, warn, info, debug, trace (got "${value}")`,
      );
    }
  });
});
