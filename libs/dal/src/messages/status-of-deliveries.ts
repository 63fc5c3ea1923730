import type { DeliveryStatus, MessageStatus } from '@app/contracts';

/**
 * A message's status from its deliveries' statuses: pending while any is pending or held, else
 * failed if any failed, else delivered if it had any, else no_endpoints.
 */
export function messageStatusOf(statuses: readonly DeliveryStatus[]): MessageStatus {
  const found = new Set(statuses);
  if (found.has('pending') || found.has('held')) return 'pending';
  if (found.has('failed')) return 'failed';
  if (found.has('succeeded') || found.has('cancelled')) return 'delivered';
  return 'no_endpoints';
}
