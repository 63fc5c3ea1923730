import { randomBytes } from 'node:crypto';
import { generateWebhookSecret, verifyWebhook } from '@app/channels';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink, type ReceivedRequest } from '../../support/webhook-sink';

/** Rotations one endpoint may make per window in this suite. */
const ROTATION_LIMIT = 30;

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

/**
 * The contract signs with the current and the previous secret: two signatures, never more. Each
 * extra live secret was one more HMAC over up to 256 KiB on a notifier's event loop, for every
 * attempt to the endpoint, and a hostile app could add one per request.
 */
describe('secret rotation keeps at most two live secrets, and is rate limited', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({
      env: { SECRET_ROTATION_LIMIT: String(ROTATION_LIMIT), SECRET_ROTATION_WINDOW: '1h' },
    });
    ({ apiKey } = await platform.createApp());
  });

  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  async function webhookEndpoint(path: string): Promise<{ id: string; secret: string }> {
    const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url(path),
      eventTypes: [`${path.slice(1)}.*`],
    });
    expect(status).toBe(201);
    return body;
  }

  async function rotate(endpointId: string) {
    return platform.request('POST', `/v1/endpoints/${endpointId}/rotate-secret`, apiKey);
  }

  async function delivered(path: string): Promise<ReceivedRequest> {
    const before = sink.requestsTo(path).length;
    const { status } = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: `${path.slice(1)}.sent`,
      payload: { n: before },
    });
    expect(status).toBe(202);
    return eventually(() => sink.requestsTo(path)[before], { what: `a delivery to ${path}` });
  }

  it(`signs with the current and the previous secret only, after ${ROTATION_LIMIT} rotations`, async () => {
    const endpoint = await webhookEndpoint('/many');
    const secrets = [endpoint.secret];
    for (let i = 0; i < ROTATION_LIMIT; i++) {
      const rotated = await rotate(endpoint.id);
      expect(rotated.status).toBe(200);
      secrets.push(rotated.body.secret);
    }
    const request = await delivered('/many');
    const signatures = (request.headers['webhook-signature'] as string).split(' ');
    expect(signatures).toHaveLength(2);
    const [current, previous] = signatures;
    expect(verifies(secrets.at(-1)!, request, current!)).toBe(true);
    expect(verifies(secrets.at(-2)!, request, previous!)).toBe(true);
    // The one before that was retired by the last rotation, grace period or not.
    expect(verifies(secrets.at(-3)!, request, request.headers['webhook-signature'] as string)).toBe(
      false,
    );
    const stored = await platform.db.collection('endpoints').findOne({ _id: endpoint.id as never });
    expect(stored!.secrets).toHaveLength(2);
  });

  it('signs with two of the secrets an endpoint stored before the cap, and trims them on the next rotation', async () => {
    const endpoint = await webhookEndpoint('/legacy');
    const inAnHour = new Date(Date.now() + 3_600_000);
    const older = Array.from({ length: 5 }, () => ({
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      expiresAt: inAnHour,
    }));
    const current = generateWebhookSecret();
    await platform.editEndpoint(endpoint.id, {
      $set: { secrets: [{ secret: current }, ...older] },
    });

    const request = await delivered('/legacy');
    const signatures = (request.headers['webhook-signature'] as string).split(' ');
    expect(signatures).toHaveLength(2);
    expect(verifies(current, request, signatures[0]!)).toBe(true);
    expect(verifies(older[0]!.secret, request, signatures[1]!)).toBe(true);

    expect((await rotate(endpoint.id)).status).toBe(200);
    const stored = await platform.db.collection('endpoints').findOne({ _id: endpoint.id as never });
    expect(stored!.secrets).toHaveLength(2);
  });

  it('answers 429 with Retry-After once an endpoint used up its rotations, and only for that endpoint', async () => {
    const busy = await webhookEndpoint('/busy');
    for (let i = 0; i < ROTATION_LIMIT; i++) expect((await rotate(busy.id)).status).toBe(200);
    const limited = await rotate(busy.id);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('secret_rotation_rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(retryAfter).toBeLessThanOrEqual(3_600);

    // The refused rotation changed nothing: the last secret handed out still signs alone in front.
    const stored = await platform.db.collection('endpoints').findOne({ _id: busy.id as never });
    expect(stored!.secrets).toHaveLength(2);
    const other = await webhookEndpoint('/other');
    expect((await rotate(other.id)).status).toBe(200);
  });
});
