import type { EndpointEntity, EndpointSecret } from './endpoint.entity';

/** The current secret and the one it replaced: never more sign at once (CONTRACT.md). */
export const MAX_LIVE_SECRETS = 2;

/**
 * The secrets a webhook is signed with at `now`: the current one and, during its grace period,
 * the newest previous one. An endpoint stored before rotation kept two at most may hold more;
 * they are not signed with (each one was another HMAC over the body), and its next rotation
 * drops them.
 */
export function signingSecrets(secrets: readonly EndpointSecret[], now: Date): EndpointSecret[] {
  const [current, ...previous] = secrets;
  if (current === undefined) return [];
  const live = previous.find((entry) => entry.expiresAt === undefined || entry.expiresAt > now);
  return live === undefined ? [current] : [current, live];
}

/** At most `max` secret rotations per endpoint within any `windowMs`. */
export interface SecretRotationLimit {
  max: number;
  windowMs: number;
}

/** How long until `endpoint` may rotate its secret again under `limit`; 0 when it may now. */
export function secretRotationWaitMs(
  endpoint: Pick<EndpointEntity, 'secretRotations'>,
  limit: SecretRotationLimit,
  now: Date,
): number {
  const oldestCounted = endpoint.secretRotations?.[limit.max - 1];
  if (oldestCounted === undefined) return 0;
  return Math.max(0, oldestCounted.getTime() + limit.windowMs - now.getTime());
}
