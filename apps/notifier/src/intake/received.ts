import type { Channel, ConsumeMessage } from 'amqplib';
import type { TraceContext } from '@app/tracing';

/** A message taken off the intake queue, with the channel its delivery tag belongs to. */
export interface Received {
  message: ConsumeMessage;
  channel: Channel;
  /** Its intake span's context, with tracing on: its store span is a child of it. */
  trace?: TraceContext | undefined;
}

/** amqplib types these as `any`; this is what a consumed message's properties hold. */
export interface MessageProperties {
  contentType?: string;
  messageId?: string;
  userId?: string;
  timestamp?: number;
  headers?: Record<string, unknown>;
}

/** amqplib's `properties` of a consumed message, typed. */
export function propertiesOf(message: ConsumeMessage): MessageProperties {
  return message.properties;
}

/** A delivery tag is only valid on its channel; if that closed, the broker redelivers anyway. */
export function ack({ message, channel }: Received): void {
  try {
    channel.ack(message);
  } catch {
    // channel closed
  }
}
