import type { AppQuotas } from '@app/contracts';

export interface AppEntity {
  _id: string;
  name: string;
  apiKeyHash: string;
  /** The key a rotation replaced, still accepted until previousApiKeyExpiresAt. */
  previousApiKeyHash?: string;
  previousApiKeyExpiresAt?: Date;
  createdAt: Date;
  /** The quotas an admin set for this app; the others are the environment's defaults. */
  quotas?: Partial<AppQuotas>;
  /** The RabbitMQ user allowed to publish for this app (enforced at intake). */
  brokerUser?: string;
  /** Messages of event types the app has not registered (or has archived) are refused. */
  requireRegisteredEventTypes?: boolean;
}
