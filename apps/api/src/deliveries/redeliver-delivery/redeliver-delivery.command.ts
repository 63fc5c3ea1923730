export interface RedeliverDeliveryCommand {
  appId: string;
  deliveryId: string;
}
