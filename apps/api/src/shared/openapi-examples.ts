import type {
  AttemptView,
  DeliveryView,
  InboxItem,
  OrderingKeyView,
  MessageDetail,
  MessageSummary,
} from '@app/contracts';

/** Examples for the OpenAPI document, typed with the response contracts so they stay true. */

const at = '2026-11-26T08:00:00.000Z';
const later = '2026-11-26T08:00:00.412Z';

export const appExample = {
  id: 'app_01936f8e2b7c7d4e9a1b2c3d4e5f6a7b',
  name: 'shop',
  createdAt: at,
  quotas: {
    endpoints: 100,
    messagesPerSecond: 200,
    emailsPerHour: 1000,
    smsPerHour: 100,
    minRetryDelay: 1000,
    retryScheduleLength: 50,
    eventTypesPerEndpoint: 100,
    headersBytes: 16384,
    templateBytes: 65536,
  },
  brokerUser: 'shop-publisher',
  requireRegisteredEventTypes: false,
};

export const updateAppExample = {
  quotas: { messagesPerSecond: 200, smsPerHour: null },
  brokerUser: 'shop-publisher',
  requireRegisteredEventTypes: true,
};

export const refusedDeadLetterExample = {
  id: 'rdl_5b0e6f1c2d3e4f5a6b7c8d9e0f1a2b3c',
  appId: appExample.id,
  reason: 'the body is 25165824 bytes, more than the 262144 bytes accepted',
  refusal: 'notify.events.dead refused it (nack): the queue is full',
  size: 25_165_824,
  routingKey: 'order.paid',
  messageId: null,
  refusedAt: at,
};

export const createdAppExample = { ...appExample, apiKey: 'ak_Zr0m7Kx2...' };

export const createEndpointExample = {
  channel: 'webhook',
  url: 'https://shop.example.com/hooks/notify',
  eventTypes: ['order.*'],
  retrySchedule: ['15s', '1m', '5m'],
  timeoutMs: 5000,
  successBody: 'success',
};

const health = {
  enabled: true,
  disabledReason: null,
  consecutiveFailures: 0,
  lastSuccessAt: later,
  lastFailureAt: null,
};

export const endpointExample = {
  id: 'ep_01936f8e3a1c7f2e8b9d0a1b2c3d4e5f',
  channel: 'webhook',
  url: 'https://shop.example.com/hooks/notify',
  to: null,
  eventTypes: ['order.*'],
  retrySchedule: [15000, 60000, 300000],
  timeoutMs: 5000,
  successBody: 'success',
  rateLimitPerSecond: null,
  headers: {},
  template: null,
  fallbackEndpointId: null,
  description: null,
  ordered: true,
  orderedBlockOnFailure: false,
  ...health,
  health,
  createdAt: at,
  updatedAt: at,
};

export const createdEndpointExample = {
  ...endpointExample,
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  recipientToken: 'rt_3q2+7w...',
};

export const updateEndpointExample = { enabled: true, successBody: null };

export const recoverExample = { since: '2026-11-25T00:00:00.000Z', dryRun: false };

export const publishExample = {
  eventType: 'order.paid',
  payload: { orderId: 'o_1001', amount: 4200 },
  idempotencyKey: 'order-1001-paid',
  orderingKey: 'order-1001',
};

export const messageSummaryExample: MessageSummary = {
  id: 'msg_01936f8e4b2d7a3f9c0e1f2a3b4c5d6e',
  eventType: 'order.paid',
  payload: { orderId: 'o_1001', amount: 4200 },
  idempotencyKey: 'order-1001-paid',
  orderingKey: 'order-1001',
  status: 'delivered',
  createdAt: at,
};

export const deliveryExample: DeliveryView = {
  id: 'dlv_01936f8e4b3e7c1a8d2f3a4b5c6d7e8f',
  messageId: messageSummaryExample.id,
  endpointId: endpointExample.id,
  channel: 'webhook',
  status: 'succeeded',
  attemptCount: 1,
  nextAttemptAt: null,
  lastAttemptAt: at,
  lastError: null,
  deliveredAt: later,
  fallbackFor: null,
  sequence: 2,
};

export const messageDetailExample: MessageDetail = {
  ...messageSummaryExample,
  deliveries: [deliveryExample],
};

export const attemptExample: AttemptView = {
  id: 'att_01936f8e4c5f7d2b9e3a4b5c6d7e8f90',
  deliveryId: deliveryExample.id,
  endpointId: endpointExample.id,
  attempt: 1,
  startedAt: at,
  durationMs: 412,
  outcome: 'succeeded',
  statusCode: 200,
  error: null,
  responseBody: 'success',
};

export const inboxItemExample: InboxItem = {
  messageId: messageSummaryExample.id,
  eventType: 'order.paid',
  payload: { orderId: 'o_1001', amount: 4200 },
  createdAt: at,
  deliveryStatus: 'failed',
  attemptCount: 9,
  orderingKey: 'order-1001',
  sequence: 2,
};

export const orderingKeyExample: OrderingKeyView = {
  key: 'order-1001',
  endpointId: endpointExample.id,
  lastSequence: 3,
  blocked: {
    deliveryId: deliveryExample.id,
    messageId: messageSummaryExample.id,
    sequence: 2,
    reason: 'HTTP 500',
    since: later,
  },
  updatedAt: later,
};

export const cursorExample = 'WzE3OTY4OTc2MDAwMDAsIm1zZ18wMTkzIl0';

export const pageExample = <T>(item: T) => ({ data: [item], nextCursor: cursorExample });

export const putEventTypeExample = {
  description: 'An order was paid',
  schema: {
    type: 'object',
    required: ['orderId', 'amount', 'currency'],
    properties: {
      orderId: { type: 'string' },
      amount: { type: 'number', minimum: 0 },
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    },
  },
  examples: [{ orderId: 'o_1', amount: 42, currency: 'EUR' }],
  deprecated: false,
};

export const eventTypeExample = {
  name: 'order.paid',
  ...putEventTypeExample,
  version: 3,
  archivedAt: null,
  createdAt: at,
  updatedAt: at,
};
