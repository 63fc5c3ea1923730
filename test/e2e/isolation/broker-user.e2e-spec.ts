import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, HEADER_APP_ID } from '@app/contracts';
import { connect, type ChannelModel } from 'amqplib';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { createEndpoint, publish } from '../pipeline/pipeline-helpers';

const run = promisify(execFile);

/**
 * An app bound to a broker user (brokerUser) takes AMQP messages only from that user, as RabbitMQ
 * validates the user-id property, or from the API's own user. Real broker users, each with its
 * own connection to the suite's vhost.
 */
describe('isolation: who may publish for an app over AMQP', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  const suffix = randomBytes(4).toString('hex');
  const alice = `alice-${suffix}`;
  const mallory = `mallory-${suffix}`;
  const connections: ChannelModel[] = [];

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
    const vhost = decodeURIComponent(new URL(platform.amqpUrl).pathname.slice(1));
    for (const user of [alice, mallory]) {
      await run('rabbitmqctl', ['-q', 'add_user', user, 'secret']);
      await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, user, '', '.*', '.*']);
    }
  });
  afterAll(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
    await platform?.stop();
    await sink.stop();
    for (const user of [alice, mallory]) {
      await run('rabbitmqctl', ['-q', 'delete_user', user]).catch(() => undefined);
    }
  });

  /** Publishes as `user` on a connection of its own; resolves once the broker confirmed. */
  async function publishAs(user: string, appId: string, n: number, userId?: string) {
    const url = new URL(platform.amqpUrl);
    url.username = user;
    url.password = 'secret';
    const connection = await connect(url.toString());
    connections.push(connection);
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    channel.publish(
      EVENTS_EXCHANGE,
      'order.paid',
      Buffer.from(JSON.stringify({ eventType: 'order.paid', payload: { n } })),
      { persistent: true, headers: { [HEADER_APP_ID]: appId }, userId },
    );
    await channel.waitForConfirms();
  }

  it("dead-letters a bound app's messages from other broker users and takes its own and the API's", async () => {
    const bound = await platform.createApp('bound');
    const unbound = await platform.createApp('unbound');
    await createEndpoint(platform, bound.apiKey, { url: sink.url('/bound') });
    await createEndpoint(platform, unbound.apiKey, { url: sink.url('/unbound') });
    // What PATCH /v1/apps/:id { brokerUser } stores.
    await platform.db
      .collection('apps')
      .updateOne({ _id: bound.id as any }, { $set: { brokerUser: alice } });

    // RabbitMQ itself refuses a user-id that is not the connection's user.
    await expect(publishAs(mallory, bound.id, 0, alice)).rejects.toThrow();

    await publishAs(mallory, bound.id, 1, mallory);
    await publishAs(mallory, bound.id, 2);
    await publishAs(alice, bound.id, 3, alice);
    const fromApi = await publish(platform, bound.apiKey, {
      eventType: 'order.paid',
      payload: { n: 4 },
    });
    // An app without a binding trusts every broker user allowed to publish.
    await publishAs(mallory, unbound.id, 5);

    await eventually(
      () =>
        sink.requestsTo('/bound').length === 2 && sink.requestsTo('/unbound').length === 1
          ? true
          : undefined,
      { what: 'the accepted messages to be delivered' },
    );
    const delivered = sink.requestsTo('/bound').map((request) => JSON.parse(request.body).data.n);
    expect(delivered.sort()).toEqual([3, 4]);
    expect(sink.requestsTo('/bound').map((r) => r.headers['webhook-id'])).toContain(fromApi);

    const dead: { content: string; headers: Record<string, unknown> }[] = [];
    await eventually(
      async () => {
        dead.push(...(await platform.drainQueue(DEAD_LETTER_QUEUE)));
        return dead.length >= 2 ? true : undefined;
      },
      { what: "mallory's two messages to be dead-lettered" },
    );
    expect(
      dead.map((copy) => [JSON.parse(copy.content).payload.n, copy.headers['x-error']]),
    ).toEqual(
      expect.arrayContaining([
        [
          1,
          `app ${bound.id} accepts AMQP messages only from broker user "${alice}" (the user-id property); this one has user-id "${mallory}"`,
        ],
        [
          2,
          `app ${bound.id} accepts AMQP messages only from broker user "${alice}" (the user-id property); this one has no user-id property`,
        ],
      ]),
    );
    expect(dead).toHaveLength(2);
  });
});
