import type { EndpointView } from '@app/contracts';
import { subscribersOf } from './subscribers';

const endpoint = (id: string, eventTypes: string[]) => ({ id, eventTypes }) as EndpointView;

describe('subscribersOf', () => {
  const endpoints = [
    endpoint('all', ['*']),
    endpoint('orders', ['order.*', 'invoice.sent']),
    endpoint('paid', ['order.paid']),
    endpoint('failures', ['order.*.failed']),
    endpoint('platform', ['delivery.failed']),
  ];
  const ids = (eventType: string) => subscribersOf(eventType, endpoints).map((s) => s.endpoint.id);

  it('selects endpoints by exact names and wildcards, as the notifier does', () => {
    expect(ids('order.paid')).toEqual(['all', 'orders', 'paid']);
    expect(ids('order.payment.failed')).toEqual(['all', 'orders', 'failures']);
    expect(ids('invoice.sent')).toEqual(['all', 'orders']);
    // A trailing * needs at least one more segment.
    expect(ids('order')).toEqual(['all']);
  });

  it('gives platform event types only to endpoints that name them', () => {
    expect(ids('delivery.failed')).toEqual(['platform']);
  });

  it('names the filters that select the event type', () => {
    const both = subscribersOf('order.paid', [endpoint('e', ['order.paid', 'order.*', 'x.y'])]);
    expect(both[0]?.filters).toEqual(['order.paid', 'order.*']);
  });

  it('is empty when nothing subscribes', () => {
    expect(subscribersOf('user.created', endpoints.slice(1))).toEqual([]);
  });
});
