import { connect } from 'amqplib';
import { eventually } from '../../../test/support/eventually';
import { createVhost, type Vhost } from '../../../test/support/rabbit-vhost';
import { AmqpConnection } from './amqp-connection';
import { ConfirmPublisher, PublishError } from './confirm-publisher';

const FULL_QUEUE = 'always-full';

describe('ConfirmPublisher (real RabbitMQ)', () => {
  let vhost: Vhost;
  let connection: AmqpConnection;

  beforeAll(async () => {
    vhost = await createVhost();
    const setup = await connect(vhost.url);
    try {
      const channel = await setup.createChannel();
      // Refuses every message: what a full dead-letter queue (overflow reject-publish) does.
      await channel.assertQueue(FULL_QUEUE, {
        arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
      });
    } finally {
      await setup.close();
    }
  });

  afterAll(async () => {
    await connection?.close();
    await vhost.remove();
  });

  it('replaces its channel after a nack at most once a second: a queue refusing everything does not cost a channel per message', async () => {
    connection = new AmqpConnection(vhost.url, 'confirm-publisher-int-spec');
    const publisher = new ConfirmPublisher(connection, 5_000);
    await connection.start();
    await eventually(() => publisher.isReady || undefined, { what: 'the publisher’s channel' });

    for (let i = 0; i < 30; i++) {
      await expect(
        publisher.publish('', FULL_QUEUE, Buffer.from(`refused ${i}`), {}),
      ).rejects.toMatchObject({ refused: true } satisfies Partial<PublishError>);
    }
    // The first refusal replaced the channel; the others, within the same second, did not.
    expect(await vhost.openChannels()).toBeLessThanOrEqual(2);
  });
});
