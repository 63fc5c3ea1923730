import { loadCliConfig } from './cli.config';
import { ConfigError } from './load-config';

const NONE = {
  apiKey: undefined,
  adminKey: undefined,
  recipientToken: undefined,
  webhookSecret: undefined,
};

describe('loadCliConfig', () => {
  it('defaults to the local API and no credentials', () => {
    expect(loadCliConfig({}, {})).toEqual({ url: 'http://127.0.0.1:3000', ...NONE });
  });

  it('reads NOTIFY_URL and NOTIFY_API_KEY; flags win over them', () => {
    const env = { NOTIFY_URL: 'http://env:1', NOTIFY_API_KEY: 'ak_env', OTHER: 'x' };
    expect(loadCliConfig({}, env)).toEqual({ ...NONE, url: 'http://env:1', apiKey: 'ak_env' });
    expect(loadCliConfig({ url: 'https://flag', apiKey: 'ak_flag' }, env)).toEqual({
      ...NONE,
      url: 'https://flag',
      apiKey: 'ak_flag',
    });
  });

  it('reads the admin key, the recipient token and the webhook secret the same way', () => {
    const env = {
      NOTIFY_ADMIN_KEY: 'admin_env',
      NOTIFY_RECIPIENT_TOKEN: 'rt_env',
      NOTIFY_WEBHOOK_SECRET: 'whsec_env',
    };
    expect(loadCliConfig({}, env)).toMatchObject({
      adminKey: 'admin_env',
      recipientToken: 'rt_env',
      webhookSecret: 'whsec_env',
    });
    expect(
      loadCliConfig({ adminKey: 'admin_flag', token: 'rt_flag', secret: 'whsec_flag' }, env),
    ).toMatchObject({
      adminKey: 'admin_flag',
      recipientToken: 'rt_flag',
      webhookSecret: 'whsec_flag',
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
