import { connect } from 'amqplib';
import { EVENTS_EXCHANGE, INTAKE_QUEUE } from '@app/contracts';
import { AmqpPublisher } from '@app/client';
import { AmqpConnection, assertTopology, ConfirmPublisher, PublishError } from '@app/messaging';
import { eventually } from '../support/eventually';
import { RabbitCluster } from './rabbit-cluster';
import { ctlOn } from './private-rabbit';
import { log } from './run-support';

/**
 * RabbitMQ 3.10's quorum-queue client on a channel asks the node it takes for the queue's leader
 * when the channel first publishes; when that node is down it refuses the publish and keeps the
 * same node, so every later publish on that channel is refused too, until the node is back, even
 * once the queue has a new leader. A fault run met it: a channel opened right after the leader's
 * node stopped got nacks for the 20 s the node was away. The platform's publisher and the SDK's
 * replace a channel after a nack; this makes that state on purpose: the leader's node stops
 * while another node's queue member is stopped too (no majority, no election), the publishers
 * publish (refused, rightly), then the other member comes back and a new leader is elected.
 */
describe('chaos: publishing after a quorum queue lost its leader node', () => {
  let cluster: RabbitCluster | undefined;
  let connection: AmqpConnection | undefined;
  let sdk: AmqpPublisher | undefined;

  afterAll(async () => {
    await sdk?.close();
    await connection?.close();
    await cluster?.close();
  });

  it('publishes again as soon as a new leader is elected, without waiting for the old node', async () => {
    cluster = await RabbitCluster.start(3, log);
    const setup = await connect(cluster.urls[0]!);
    await assertTopology(setup);
    await setup.close();
    const { leader, members } = await cluster.quorum(INTAKE_QUEUE);
    expect(members).toHaveLength(3);
    const [client, paused] = [0, 1, 2].filter((node) => node !== leader) as [number, number];

    await ctlOn(cluster.nodes[paused]!)('stop_app');
    await cluster.stopNode(leader);
    log(`stale leader: node ${leader + 1} stopped, node ${paused + 1} paused`);

    connection = new AmqpConnection(cluster.urls[client]!, 'stale-leader');
    await connection.start();
    const publisher = new ConfirmPublisher(connection, 3_000);
    await eventually(() => publisher.isReady || undefined, { what: 'the publisher’s channel' });
    const body = Buffer.from(JSON.stringify({ eventType: 'order.paid', payload: {} }));
    const publish = () => publisher.publish(EVENTS_EXCHANGE, 'order.paid', body, {});
    sdk = new AmqpPublisher({ url: cluster.urls[client]!, appId: 'app_stale', attempts: 1 });
    const sdkPublish = () => sdk!.publish({ eventType: 'order.paid', payload: {} });

    // No majority: refused, as it should be.
    await expect(publish()).rejects.toBeInstanceOf(PublishError);
    await expect(sdkPublish()).rejects.toThrow(/refused|nack/);

    await ctlOn(cluster.nodes[paused]!)('start_app');
    await eventually(
      async () => {
        const now = await cluster!.quorum(INTAKE_QUEUE).catch(() => undefined);
        return now !== undefined && now.leader !== leader && now.leader >= 0 ? now : undefined;
      },
      { what: 'a new leader of the intake queue', timeoutMs: 60_000, intervalMs: 1_000 },
    );

    // The old leader's node stays down: the publishers must find the new leader.
    await eventually(() => publish().then(() => true), {
      what: 'a confirmed publish of the platform publisher',
      timeoutMs: 10_000,
      intervalMs: 500,
    });
    await eventually(() => sdkPublish().then(() => true), {
      what: 'a confirmed publish of the SDK publisher',
      timeoutMs: 10_000,
      intervalMs: 500,
    });
  });
});
