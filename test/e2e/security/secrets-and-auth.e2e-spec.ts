import { randomBytes } from 'node:crypto';
import { verifyWebhook } from '@app/channels';
import { Test } from '@nestjs/testing';
import { DalModule } from '@app/dal';
import { eventually } from '../../support/eventually';
import { ADMIN_KEY, TestPlatform } from '../../support/platform';
import { WebhookSink, type ReceivedRequest } from '../../support/webhook-sink';

function verifies(secret: string, request: ReceivedRequest, signature: string): boolean {
  return verifyWebhook({
    secrets: [secret],
    headers: {
      id: request.headers['webhook-id'] as string,
      timestamp: request.headers['webhook-timestamp'] as string,
      signature,
    },
    body: request.body,
    now: new Date(),
  });
}

describe('webhook secrets are encrypted at rest (SECRETS_KEY)', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
    ({ apiKey } = await platform.createApp());
  });

  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  async function delivered(path: string, eventType: string): Promise<ReceivedRequest> {
    const before = sink.requestsTo(path).length;
    const { status } = await platform.request('POST', '/v1/messages', apiKey, {
      eventType,
      payload: {},
    });
    expect(status).toBe(202);
    return eventually(() => sink.requestsTo(path)[before], { what: `a delivery to ${path}` });
  }

  it('stores only ciphertext, yet signs every delivery with the secret the owner was shown', async () => {
    const { body: endpoint } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/sealed'),
      eventTypes: ['sealed.*'],
    });
    const secret: string = endpoint.secret;
    const stored = await platform.db.collection('endpoints').findOne({ _id: endpoint.id });
    const storedText = JSON.stringify(stored);
    expect(stored!.secrets[0].secret).toMatch(/^enc:v1:/);
    expect(storedText).not.toContain(secret.slice('whsec_'.length));

    const request = await delivered('/sealed', 'sealed.sent');
    expect(verifies(secret, request, request.headers['webhook-signature'] as string)).toBe(true);

    // A rotation keeps both sealed, and both sign.
    const rotated = await platform.request(
      'POST',
      `/v1/endpoints/${endpoint.id}/rotate-secret`,
      apiKey,
    );
    expect(rotated.status).toBe(200);
    const after = await platform.db.collection('endpoints').findOne({ _id: endpoint.id });
    expect(after!.secrets.map((s: { secret: string }) => s.secret.slice(0, 7))).toEqual([
      'enc:v1:',
      'enc:v1:',
    ]);
    expect(JSON.stringify(after)).not.toContain(rotated.body.secret.slice('whsec_'.length));
    const last = await delivered('/sealed', 'sealed.again');
    const [fresh, old] = (last.headers['webhook-signature'] as string).split(' ');
    expect(verifies(rotated.body.secret, last, fresh!)).toBe(true);
    expect(verifies(secret, last, old!)).toBe(true);
  });

  it('still reads a secret stored before encryption (and rotates it)', async () => {
    const { body: endpoint } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/legacy'),
      eventTypes: ['legacy.*'],
    });
    const plain = `whsec_${randomBytes(32).toString('base64')}`;
    await platform.editEndpoint(endpoint.id, { $set: { secrets: [{ secret: plain }] } });
    const request = await delivered('/legacy', 'legacy.sent');
    expect(verifies(plain, request, request.headers['webhook-signature'] as string)).toBe(true);
    const rotated = await platform.request(
      'POST',
      `/v1/endpoints/${endpoint.id}/rotate-secret`,
      apiKey,
    );
    expect(rotated.status).toBe(200);
    const after = await platform.db.collection('endpoints').findOne({ _id: endpoint.id });
    expect(after!.secrets.every((s: { secret: string }) => s.secret.startsWith('enc:v1:'))).toBe(
      true,
    );
  });

  it('refuses to start with a SECRETS_KEY that cannot read the stored secrets', async () => {
    // What the API and every notifier do at boot (DalModule), here without the rest of them.
    const boot = Test.createTestingModule({
      imports: [DalModule.forRoot({ uri: platform.mongoUri, secretsKey: randomBytes(32) })],
    }).compile();
    await expect(boot).rejects.toThrow(
      /^SECRETS_KEY: is not the key the stored webhook secrets were encrypted with/,
    );
  });
});

describe('failed authentication is rate limited per client address', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await TestPlatform.start({
      notifiers: 0,
      env: { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW: '2s' },
    });
  });

  afterAll(async () => {
    await platform.stop();
  });

  it('answers 429 with Retry-After after AUTH_FAILURE_LIMIT unknown credentials, to unknown ones only, for the window', async () => {
    const { apiKey } = await platform.createApp();
    for (const guess of ['ak_guess1', 'rt_guess2', 'nope']) {
      expect((await platform.request('GET', '/v1/endpoints', guess)).status).toBe(401);
    }
    const limited = await platform.request('GET', '/v1/endpoints', 'ak_guess4');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('auth_failure_rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    // Every client behind the same address (a NAT, a proxy) still gets in with a valid key.
    expect((await platform.request('GET', '/v1/endpoints', apiKey)).status).toBe(200);
    expect((await platform.request('GET', '/v1/apps', ADMIN_KEY)).status).toBe(200);
    expect((await platform.request('GET', '/v1/endpoints', 'ak_guess5')).status).toBe(429);
    // What needs no credentials is not affected.
    expect((await platform.request('GET', '/health')).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await platform.request('GET', '/v1/endpoints', 'ak_guess6')).status).toBe(401);
  });

  it('does not count a missing Authorization header or a known key', async () => {
    const { apiKey } = await platform.createApp('other');
    for (let i = 0; i < 5; i++) {
      expect((await platform.request('GET', '/v1/endpoints')).status).toBe(401);
      expect((await platform.request('GET', '/v1/endpoints', apiKey)).status).toBe(200);
    }
  });
});

describe('webhook urls pointing at private addresses are refused at creation', () => {
  let platform: TestPlatform;
  let apiKey: string;

  beforeAll(async () => {
    platform = await TestPlatform.start({ notifiers: 0, env: { TARGET_ALLOWLIST: '' } });
    ({ apiKey } = await platform.createApp());
  });

  afterAll(async () => {
    await platform.stop();
  });

  it.each([
    [
      'http://localhost:8080/hooks',
      /^localhost resolves to a private, loopback or link-local address; set TARGET_ALLOWLIST/,
    ],
    ['http://[::ffff:127.0.0.1]/hooks', /^::ffff:7f00:1 is a private, loopback or link-local/],
    ['http://169.254.169.254/latest/meta-data', /^169\.254\.169\.254 is a private/],
    ['http://[fd00:ec2::254]/', /^fd00:ec2::254 is a private/],
    ['http://10.1.2.3/', /^10\.1\.2\.3 is a private/],
    ['http://[64:ff9b::a9fe:a9fe]/', /^64:ff9b::a9fe:a9fe is a private/],
    ['http://[2002:7f00:1::]/', /^2002:7f00:1:: is a private/],
    ['http://[fec0::1]/', /^fec0::1 is a private/],
  ])('%s: 400 naming url', async (url, message) => {
    const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url,
    });
    expect(status).toBe(400);
    expect(body.error.details).toEqual([{ field: 'url', message: expect.stringMatching(message) }]);
    // A name is not told apart by the address it resolved to: no oracle for internal DNS.
    if (url.startsWith('http://localhost')) {
      expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|::1/);
    }
  });
});
