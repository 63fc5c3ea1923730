import type { DeliveryJob } from '@app/channels';

/** A webhook attempt to `url`, signed with a fixed secret, as the notifier hands one to the channel. */
export function webhookJob(url: string): DeliveryJob {
  return {
    messageId: 'msg_1',
    eventType: 'order.paid',
    payload: {},
    createdAt: new Date(),
    endpoint: {
      id: 'ep_1',
      url,
      headers: {},
      secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`],
      timeoutMs: 3_000,
    },
  };
}
