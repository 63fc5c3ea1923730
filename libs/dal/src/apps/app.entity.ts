export interface AppEntity {
  _id: string;
  name: string;
  apiKeyHash: string;
  createdAt: Date;
}
