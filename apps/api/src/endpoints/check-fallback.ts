import { AppError, ErrorCode } from '@app/common';
import type { EndpointRepository } from '@app/dal';

/**
 * A fallback is another endpoint of the same app. Chains and cycles (A -> B -> A) are allowed:
 * the notifier bounds them (one delivery per endpoint and message, and a maximum depth).
 */
export async function checkFallbackEndpoint(
  endpoints: EndpointRepository,
  appId: string,
  fallbackEndpointId: string,
  selfId?: string,
): Promise<void> {
  const refuse = (message: string) =>
    new AppError(ErrorCode.ValidationFailed, 'The fallback endpoint is not usable', [
      { field: 'fallbackEndpointId', message },
    ]);
  if (fallbackEndpointId === selfId) {
    throw refuse('must be another endpoint: an endpoint cannot be its own fallback');
  }
  if ((await endpoints.findById(appId, fallbackEndpointId)) === null) {
    throw refuse(`there is no endpoint ${fallbackEndpointId} in this app`);
  }
}
