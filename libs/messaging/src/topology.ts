import { DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, INTAKE_QUEUE } from '@app/contracts';
import type { ChannelModel } from 'amqplib';

/**
 * Declares the exchange producers publish to, the notifier's intake queue and the dead-letter
 * queue. Idempotent; run on every (re)connect. Both queues are quorum queues (replicated on the
 * cluster's nodes, poison-message aware) where the broker supports it, else classic durable ones.
 * Both must be: a classic queue lives on one node, and while that node is down redeclaring it
 * fails (404 "home node ... is down"), which would stop every process from reconnecting to the
 * nodes that are up.
 */
export async function assertTopology(connection: ChannelModel): Promise<void> {
  const channel = await connection.createChannel();
  try {
    await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    await assertReplicatedQueue(connection, DEAD_LETTER_QUEUE);
    await assertReplicatedQueue(connection, INTAKE_QUEUE);
    await channel.bindQueue(INTAKE_QUEUE, EVENTS_EXCHANGE, '#');
  } finally {
    await channel.close().catch(() => undefined);
  }
}

async function assertReplicatedQueue(connection: ChannelModel, queue: string): Promise<void> {
  const quorum = await connection.createChannel();
  quorum.on('error', () => undefined);
  try {
    await quorum.assertQueue(queue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    await quorum.close();
  } catch {
    // A broker without quorum queues, or an existing classic queue of that name: keep it as is.
    const classic = await connection.createChannel();
    await classic.assertQueue(queue, { durable: true });
    await classic.close();
  }
}
