import type { DeliveryJob, EndpointTarget } from '@app/channels';
import {
  signingSecrets,
  type DeliveryOrdering,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';

/**
 * What a channel is handed for one attempt: the message and the endpoint's target, with the
 * signing secrets live at `now` and `timeoutMs` (the endpoint's, cut to end inside the lease:
 * SlotAccountant.attemptTimeoutMs).
 */
export function attemptJob(
  message: MessageEntity,
  endpoint: EndpointEntity,
  now: Date,
  timeoutMs: number,
  ordering: DeliveryOrdering | undefined,
): DeliveryJob {
  const target: EndpointTarget = {
    id: endpoint._id,
    headers: endpoint.headers,
    secrets: signingSecrets(endpoint.secrets, now).map((secret) => secret.secret),
    timeoutMs,
    ...(endpoint.url === undefined ? {} : { url: endpoint.url }),
    ...(endpoint.to === undefined ? {} : { to: endpoint.to }),
    ...(endpoint.successBody === undefined ? {} : { successBody: endpoint.successBody }),
    ...(endpoint.template === undefined ? {} : { template: endpoint.template }),
  };
  return {
    messageId: message._id,
    eventType: message.eventType,
    payload: message.payload,
    createdAt: message.createdAt,
    endpoint: target,
    ...(ordering === undefined ? {} : { ordering }),
  };
}
