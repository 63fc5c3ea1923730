import { DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, INTAKE_QUEUE } from '@app/contracts';
import type { ChannelModel } from 'amqplib';

/**
 * Declares the exchange producers publish to, the notifier's intake queue and the dead-letter
 * queue. Idempotent; run on every (re)connect. The intake queue is a quorum queue (replicated,
 * poison-message aware) where the broker supports it, else a classic durable one.
 */
export async function assertTopology(connection: ChannelModel): Promise<void> {
  const channel = await connection.createChannel();
  try {
    await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    await channel.assertQueue(DEAD_LETTER_QUEUE, { durable: true });
    await assertIntakeQueue(connection);
    await channel.bindQueue(INTAKE_QUEUE, EVENTS_EXCHANGE, '#');
  } finally {
    await channel.close().catch(() => undefined);
  }
}

async function assertIntakeQueue(connection: ChannelModel): Promise<void> {
  const quorum = await connection.createChannel();
  quorum.on('error', () => undefined);
  try {
    await quorum.assertQueue(INTAKE_QUEUE, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    await quorum.close();
  } catch {
    // A broker without quorum queues, or an existing classic queue of that name: keep it as is.
    const classic = await connection.createChannel();
    await classic.assertQueue(INTAKE_QUEUE, { durable: true });
    await classic.close();
  }
}
