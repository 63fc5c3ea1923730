import type { Channel, ConsumeMessage } from 'amqplib';

/**
 * The next message of a queue, or false when none comes within `waitMs`: `basic.get` for the
 * intake queue, which refuses it (RabbitMQ serves no basic.get on a single-active-consumer
 * quorum queue). Consumes with a prefetch of one (acknowledging, so that only one comes) and
 * cancels; `noAck`: acknowledges it then, else it stays unacknowledged on `channel` (closing the
 * channel returns it to the queue).
 */
export async function takeOne(
  channel: Channel,
  queue: string,
  { noAck = false, waitMs = 500 }: { noAck?: boolean; waitMs?: number } = {},
): Promise<ConsumeMessage | false> {
  await channel.prefetch(1);
  let tag: string | undefined;
  const message = await new Promise<ConsumeMessage | false>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    void channel
      .consume(
        queue,
        (got) => {
          if (got === null) return;
          clearTimeout(timer);
          resolve(got);
        },
        { noAck: false },
      )
      .then((consumer) => {
        tag = consumer.consumerTag;
      });
  });
  while (tag === undefined) await new Promise((resolve) => setImmediate(resolve));
  await channel.cancel(tag);
  if (message !== false && noAck) channel.ack(message);
  return message;
}
