import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { ApiClient, badFields, expectErrorShape } from './api-helpers';

describe('POST /v1/endpoints/:id/recover', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({ env: { RETRY_SCHEDULE: '50ms' } });
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  it('schedules every delivery that ended failed in the window again once the endpoint is back', async () => {
    let up = false;
    sink.on('/recover', () => ({ status: up ? 200 : 503 }));
    const client = await ApiClient.forNewApp(platform, 'recover');
    const endpoint = await client.createEndpoint({
      url: sink.url('/recover'),
      eventTypes: ['recover.*'],
    });
    const other = await client.createEndpoint({
      url: sink.url('/recover-other'),
      eventTypes: ['other.*'],
    });
    sink.on('/recover-other', () => ({ status: 500 }));

    const before = new Date().toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await client.publish({ eventType: 'recover.event' }));
    const otherId = await client.publish({ eventType: 'other.event' });
    for (const id of [...ids, otherId]) await client.messageWhen(id, (m) => m.status === 'failed');
    const after = new Date(Date.now() + 1).toISOString();

    const recover = (body: object) =>
      client.request('POST', `/v1/endpoints/${endpoint.id}/recover`, body);
    expect((await recover({ since: before, dryRun: true })).body).toEqual({ count: 4 });
    expect((await recover({ since: after, dryRun: true })).body).toEqual({ count: 0 });
    expect(
      (await recover({ since: '2020-01-01T00:00:00Z', until: before, dryRun: true })).body,
    ).toEqual({ count: 0 });
    // A dry run changes nothing.
    expect((await client.request('GET', `/v1/messages/${ids[0]}`)).body.status).toBe('failed');

    up = true;
    const { status, body } = await recover({ since: before });
    expect(status).toBe(202);
    expect(body).toEqual({ count: 4 });
    for (const id of ids) {
      const message = await client.messageWhen(id, (m) => m.status === 'delivered');
      expect(message.deliveries[0]).toMatchObject({ status: 'succeeded', attemptCount: 3 });
      const attempts = await client.attempts(id);
      expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
        [3, 'succeeded'],
      ]);
    }
    // Another endpoint's failures are not this endpoint's to recover.
    expect((await client.request('GET', `/v1/messages/${otherId}`)).body.status).toBe('failed');
    expect((await recover({ since: before })).body).toEqual({ count: 0 });
    expect(other.id).not.toBe(endpoint.id);
  });

  it('refuses a bad body with 400 naming each field, and an unknown endpoint with 404', async () => {
    const client = await ApiClient.forNewApp(platform, 'recover-errors');
    const endpoint = await client.createEndpoint({ url: sink.url('/recover-errors') });
    const path = `/v1/endpoints/${endpoint.id}/recover`;
    for (const [body, fields] of [
      [{}, ['since']],
      [{ since: 'yesterday', dryRun: 'yes' }, ['since', 'dryRun']],
      [{ since: '2026-11-26T10:00:00Z', until: '2026-11-26T09:00:00Z' }, ['until']],
      [{ since: '2026-11-26T10:00:00Z', dry_run: true }, ['dry_run']],
      [{ since: 1764144000000 }, ['since']],
    ] as const) {
      const { status, body: error } = await client.request('POST', path, body);
      expect({ body, status }).toEqual({ body, status: 400 });
      expectErrorShape(error, 'validation_failed');
      expect(badFields(error)).toEqual(fields);
    }
    const malformed = await client.request('POST', path, '{"since": ');
    expect(malformed.status).toBe(400);
    expectErrorShape(malformed.body);
    const missing = await client.request('POST', '/v1/endpoints/ep_unknown/recover', {
      since: '2026-11-26T10:00:00Z',
    });
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body, 'not_found');
  });
});
