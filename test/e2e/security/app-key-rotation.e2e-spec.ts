import { ADMIN_KEY, TestPlatform } from '../../support/platform';

/**
 * A leaked app key must be replaceable without recreating the app (and every endpoint under it):
 * POST /v1/apps/:id/rotate-key issues a new key and keeps the old one for a grace period the
 * admin chooses, 0 revoking it at once.
 */
describe('POST /v1/apps/:id/rotate-key', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await TestPlatform.start({ notifiers: 0 });
  });

  afterAll(async () => {
    await platform.stop();
  });

  const endpointsWith = async (key: string) =>
    (await platform.request('GET', '/v1/endpoints', key)).status;

  it('revokes the old key at once with gracePeriod 0, and the new key sees the same app', async () => {
    const app = await platform.createApp('revoked');
    const created = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: 'http://127.0.0.1:9/hooks',
    });
    expect(created.status).toBe(201);

    const rotated = await platform.request('POST', `/v1/apps/${app.id}/rotate-key`, ADMIN_KEY, {
      gracePeriod: 0,
    });
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body)).toEqual(['apiKey']);
    expect(rotated.body.apiKey).toMatch(/^ak_/);
    expect(rotated.body.apiKey).not.toBe(app.apiKey);

    expect(await endpointsWith(app.apiKey)).toBe(401);
    const listed = await platform.request('GET', '/v1/endpoints', rotated.body.apiKey);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((e: { id: string }) => e.id)).toEqual([created.body.id]);
    // Stored as a hash only, like at creation.
    const stored = await platform.db.collection('apps').findOne({ _id: app.id as never });
    expect(JSON.stringify(stored)).not.toContain(rotated.body.apiKey);
  });

  it('keeps the old key working for the grace period, then refuses it', async () => {
    const app = await platform.createApp('graceful');
    const rotated = await platform.request('POST', `/v1/apps/${app.id}/rotate-key`, ADMIN_KEY, {
      gracePeriod: '1h',
    });
    expect(rotated.status).toBe(200);
    expect(await endpointsWith(app.apiKey)).toBe(200);
    expect(await endpointsWith(rotated.body.apiKey)).toBe(200);

    // The grace period ends: moved into the past in the database rather than waited for.
    await platform.db
      .collection('apps')
      .updateOne(
        { _id: app.id as never },
        { $set: { previousApiKeyExpiresAt: new Date(Date.now() - 1) } },
      );
    expect(await endpointsWith(app.apiKey)).toBe(401);
    expect(await endpointsWith(rotated.body.apiKey)).toBe(200);
  });

  it('keeps two keys at most: a second rotation retires the first key at once', async () => {
    const app = await platform.createApp('twice');
    const first = await platform.request('POST', `/v1/apps/${app.id}/rotate-key`, ADMIN_KEY, {
      gracePeriod: '1d',
    });
    const second = await platform.request('POST', `/v1/apps/${app.id}/rotate-key`, ADMIN_KEY, {
      gracePeriod: '1d',
    });
    expect(second.status).toBe(200);
    expect(await endpointsWith(app.apiKey)).toBe(401);
    expect(await endpointsWith(first.body.apiKey)).toBe(200);
    expect(await endpointsWith(second.body.apiKey)).toBe(200);
  });

  it('defaults the grace period to 24 hours', async () => {
    const app = await platform.createApp('default');
    const before = Date.now();
    const rotated = await platform.request('POST', `/v1/apps/${app.id}/rotate-key`, ADMIN_KEY);
    expect(rotated.status).toBe(200);
    expect(await endpointsWith(app.apiKey)).toBe(200);
    const stored = await platform.db.collection('apps').findOne({ _id: app.id as never });
    const expiresAt = (stored!.previousApiKeyExpiresAt as Date).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000);
  });

  it('answers 404 for an unknown app', async () => {
    const { status, body } = await platform.request(
      'POST',
      '/v1/apps/app_does_not_exist/rotate-key',
      ADMIN_KEY,
      { gracePeriod: 0 },
    );
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });

  it.each([
    [{ gracePeriod: '31d' }, /at most 30 days/],
    [{ gracePeriod: -1 }, /not a duration/],
    [{ gracePeriod: 'soon' }, /not a duration/],
    [{ gracePeriod: 0, extra: true }, /is not a field/],
  ])('answers 400 naming the field for %j', async (body, message) => {
    const app = await platform.createApp('bad');
    const result = await platform.request('POST', `/v1/apps/${app.id}/rotate-key`, ADMIN_KEY, body);
    expect(result.status).toBe(400);
    expect(result.body.error.details).toEqual([
      {
        field: expect.stringMatching(/^(gracePeriod|extra)$/),
        message: expect.stringMatching(message),
      },
    ]);
    // Nothing changed.
    expect(await endpointsWith(app.apiKey)).toBe(200);
  });

  it('is for the admin key only', async () => {
    const app = await platform.createApp('self');
    const { status } = await platform.request('POST', `/v1/apps/${app.id}/rotate-key`, app.apiKey, {
      gracePeriod: 0,
    });
    expect(status).toBe(403);
    expect(await endpointsWith(app.apiKey)).toBe(200);
  });
});
