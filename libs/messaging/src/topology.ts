import {
  DEAD_LETTER_QUEUE,
  EVENTS_EXCHANGE,
  INTAKE_QUEUE,
  LEGACY_INTAKE_QUEUE,
} from '@app/contracts';
import type { ChannelModel } from 'amqplib';

/**
 * Declares the exchange producers publish to, the notifier's intake queue and the dead-letter
 * queue. Idempotent; run on every (re)connect. The intake queue is a quorum queue (replicated,
 * poison-message aware) where the broker supports it, else a classic durable one; either way with
 * a single active consumer, so one notifier at a time takes intake in the broker's order (ADR
 * 0013). The intake queue of earlier versions, if there is one, is unbound from the exchange: it
 * gets nothing new, and LegacyIntake drains and deletes it.
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
  await unbindLegacyIntake(connection);
}

const SINGLE_ACTIVE_CONSUMER = { 'x-single-active-consumer': true };

async function assertIntakeQueue(connection: ChannelModel): Promise<void> {
  const quorum = await connection.createChannel();
  quorum.on('error', () => undefined);
  try {
    await quorum.assertQueue(INTAKE_QUEUE, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', ...SINGLE_ACTIVE_CONSUMER },
    });
    await quorum.close();
  } catch {
    // A broker without quorum queues, or an existing classic queue of that name: keep it as is.
    const classic = await connection.createChannel();
    await classic.assertQueue(INTAKE_QUEUE, { durable: true, arguments: SINGLE_ACTIVE_CONSUMER });
    await classic.close();
  }
}

/** Unbinds the earlier versions' intake queue, if it exists (a missing one closes the channel). */
async function unbindLegacyIntake(connection: ChannelModel): Promise<void> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.checkQueue(LEGACY_INTAKE_QUEUE);
    await channel.unbindQueue(LEGACY_INTAKE_QUEUE, EVENTS_EXCHANGE, '#');
    await channel.close();
  } catch {
    // No such queue: nothing to migrate.
  }
}
