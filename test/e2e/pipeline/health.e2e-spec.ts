import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';

/** A port nothing listens on: bound, read, closed. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('pipeline: health', () => {
  it('answers 200 with both checks up', async () => {
    const platform = await TestPlatform.start({ notifiers: 0 });
    try {
      // Either answers 503 while MongoDB misses its 1.5 s ping, as it may under the suite's load:
      // each is read until it answers 200, then its body is checked.
      for (const path of ['/health', '/health/ready']) {
        const { body } = await eventually(
          async () => {
            const answer = await platform.request('GET', path);
            return answer.status === 200 ? answer : undefined;
          },
          { what: `${path} to answer 200` },
        );
        expect(body).toEqual({ status: 'ok', checks: { mongodb: 'up', rabbitmq: 'up' } });
      }
      const live = await platform.request('GET', '/health/live');
      expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    } finally {
      await platform.stop();
    }
  });

  describe('with RabbitMQ unreachable', () => {
    let platform: TestPlatform;

    beforeAll(async () => {
      const port = await closedPort();
      platform = await TestPlatform.start({
        notifiers: 0,
        env: { AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}` },
        waitUntilHealthy: false,
      });
    });
    afterAll(() => platform.stop());

    it('answers 503 naming rabbitmq', async () => {
      const { status, body } = await platform.request('GET', '/health');
      expect(status).toBe(503);
      expect(body.checks).toEqual({ mongodb: 'up', rabbitmq: 'down' });
      expect(body.status).not.toBe('ok');
      expect(JSON.stringify(body)).toMatch(/rabbitmq/);
    });

    it('is alive but not ready, naming rabbitmq', async () => {
      const ready = await platform.request('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({
        status: 'error',
        checks: { mongodb: 'up', rabbitmq: 'down' },
        error: 'rabbitmq down',
      });
      const live = await platform.request('GET', '/health/live');
      expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    });

    it('answers POST /v1/messages with 503 at once, not a 500 or a hang', async () => {
      const app = await platform.createApp();
      const startedAt = Date.now();
      const { status, body } = await platform.request('POST', '/v1/messages', app.apiKey, {
        eventType: 'order.paid',
        payload: { orderId: 1 },
      });
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect(status).toBe(503);
      expect(body).toEqual({
        error: {
          code: 'dependency_unavailable',
          message: expect.stringMatching(/RabbitMQ/),
          details: [],
        },
      });
    });

    it('still serves what needs only MongoDB', async () => {
      const app = await platform.createApp('reader');
      const { status } = await platform.request('GET', '/v1/endpoints', app.apiKey);
      expect(status).toBe(200);
    });
  });
});
