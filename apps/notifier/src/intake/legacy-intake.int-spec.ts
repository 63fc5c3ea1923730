import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { EVENTS_EXCHANGE, INTAKE_QUEUE, LEGACY_INTAKE_QUEUE } from '@app/contracts';
import { AmqpConnection, assertTopology } from '@app/messaging';
import { eventually } from '../../../../test/support/eventually';
import { createVhost, type Vhost } from '../../../../test/support/rabbit-vhost';
import { LegacyIntake } from './legacy-intake';

/**
 * Upgrading a broker where notifiers of an earlier version declared `notify.intake` (quorum, no
 * single active consumer): the topology moves intake to `notify.intake.ordered` and unbinds the
 * old queue; LegacyIntake drains it through intake and deletes it, losing nothing.
 */
describe('LegacyIntake: migrating intake to the single-active-consumer queue (real RabbitMQ)', () => {
  let vhost: Vhost;
  let producer: ChannelModel;
  beforeAll(async () => {
    vhost = await createVhost();
    producer = await connect(vhost.url);
  });
  afterAll(async () => {
    await producer?.close();
    await vhost?.remove();
  });

  async function publish(n: number): Promise<void> {
    const channel = await producer.createConfirmChannel();
    channel.publish(EVENTS_EXCHANGE, 'order.paid', Buffer.from(JSON.stringify({ n })));
    await channel.waitForConfirms();
    await channel.close();
  }

  async function queue(name: string) {
    const channel = await producer.createChannel();
    channel.on('error', () => undefined);
    try {
      return await channel.checkQueue(name);
    } catch {
      return undefined;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  it('unbinds and drains the old queue through intake, then deletes it', async () => {
    // What the earlier version's topology left: the old queue, bound, holding messages.
    const old = await producer.createChannel();
    await old.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    await old.assertQueue(LEGACY_INTAKE_QUEUE, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    await old.bindQueue(LEGACY_INTAKE_QUEUE, EVENTS_EXCHANGE, '#');
    await old.close();
    for (const n of [1, 2, 3]) await publish(n);

    const connection = new AmqpConnection(vhost.url, 'legacy-intake-int-spec');
    await connection.onConnected(assertTopology);
    await connection.start();
    try {
      // From now on messages go to the new queue only.
      await publish(4);
      expect(await queue(LEGACY_INTAKE_QUEUE)).toMatchObject({ messageCount: 3 });
      expect(await queue(INTAKE_QUEUE)).toMatchObject({ messageCount: 1 });

      const taken: number[] = [];
      let unacked = 0;
      const legacy = new LegacyIntake(
        connection,
        10,
        (message: ConsumeMessage, channel) => {
          unacked += 1;
          // Intake stores, then acknowledges, a little later.
          setTimeout(() => {
            taken.push((JSON.parse(message.content.toString()) as { n: number }).n);
            channel.ack(message);
            unacked -= 1;
          }, 20);
        },
        () => eventually(() => (unacked === 0 ? true : undefined)).then(() => undefined),
        50,
      );
      await legacy.start();
      await eventually(
        async () => ((await queue(LEGACY_INTAKE_QUEUE)) === undefined ? true : undefined),
        {
          what: `${LEGACY_INTAKE_QUEUE} to be deleted`,
        },
      );
      expect(taken.sort()).toEqual([1, 2, 3]);
      expect(await queue(INTAKE_QUEUE)).toMatchObject({ messageCount: 1 });
      await legacy.close();

      // Where there is no old queue, neither the topology nor LegacyIntake has anything to do.
      await assertTopology(producer);
      const none = new LegacyIntake(
        connection,
        10,
        () => undefined,
        () => Promise.resolve(),
      );
      await none.start();
      await none.close();
    } finally {
      await connection.close();
    }
  });

  it('declares the intake queue with a single active consumer: a second consumer waits', async () => {
    await assertTopology(producer);
    const [first, second] = [await producer.createChannel(), await producer.createChannel()];
    const got: string[] = [];
    await first.consume(INTAKE_QUEUE, (m) => m && got.push('first'), { noAck: true });
    await second.consume(INTAKE_QUEUE, (m) => m && got.push('second'), { noAck: true });
    for (const n of [5, 6, 7]) await publish(n);
    await eventually(() => (got.length >= 3 ? true : undefined));
    expect(got.slice(-3)).toEqual(['first', 'first', 'first']);
    await first.close();
    await second.close();
  });
});
