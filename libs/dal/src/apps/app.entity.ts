export interface AppEntity {
  _id: string;
  name: string;
  apiKeyHash: string;
  /** The key a rotation replaced, still accepted until previousApiKeyExpiresAt. */
  previousApiKeyHash?: string;
  previousApiKeyExpiresAt?: Date;
  createdAt: Date;
}
