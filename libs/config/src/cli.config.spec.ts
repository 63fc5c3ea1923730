import { loadCliConfig } from './cli.config';
import { ConfigError } from './load-config';

describe('loadCliConfig', () => {
  it('defaults to the local API and no key', () => {
    expect(loadCliConfig({}, {})).toEqual({ url: 'http://127.0.0.1:3000', apiKey: undefined });
  });

  it('reads NOTIFY_URL and NOTIFY_API_KEY; flags win over them', () => {
    const env = { NOTIFY_URL: 'http://env:1', NOTIFY_API_KEY: 'ak_env', OTHER: 'x' };
    expect(loadCliConfig({}, env)).toEqual({ url: 'http://env:1', apiKey: 'ak_env' });
    expect(loadCliConfig({ url: 'https://flag', apiKey: 'ak_flag' }, env)).toEqual({
      url: 'https://flag',
      apiKey: 'ak_flag',
    });
  });

  it('names the flag or the variable a bad value came from', () => {
    expect(() => loadCliConfig({ url: 'nope' }, {})).toThrow(/--url: is not a URL/);
    expect(() => loadCliConfig({}, { NOTIFY_URL: 'ftp://x' })).toThrow(ConfigError);
    expect(() => loadCliConfig({}, { NOTIFY_URL: 'ftp://x' })).toThrow(
      /NOTIFY_URL: must start with/,
    );
  });
});
