export interface AppEntity {
  _id: string;
  name: string;
  apiKeyHash: string;
  createdAt: Date;
  /**
   * When set, AMQP intake accepts this app's messages only from this broker user (their
   * validated `user-id` property) or from the API's own user (docs/operations.md).
   */
  brokerUser?: string;
}
