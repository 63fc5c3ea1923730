import {
  EVENT_TYPE_FILTER_PATTERN,
  EVENT_TYPE_PATTERN,
  MATCH_ALL_EVENT_TYPES,
  matchesEventType,
} from './event-type';
import { PLATFORM_EVENT_TYPES } from './platform-event-types';

describe('EVENT_TYPE_PATTERN', () => {
  it.each([
    'order.paid',
    'payment_succeeded',
    'order.refund.partial',
    'user-signed-up',
    'A.b_C-9',
    'x',
    '0',
    'a'.repeat(128),
    `${'a.'.repeat(63)}ab`,
  ])('accepts %p', (eventType) => {
    expect(EVENT_TYPE_PATTERN.test(eventType)).toBe(true);
  });

  it.each([
    '',
    '.',
    '.order',
    'order.',
    'order..paid',
    'order paid',
    'order/paid',
    'order:paid',
    'order.*',
    '*',
    'ordér.paid',
    'order.paid\n',
    'a'.repeat(129),
    `${'a.'.repeat(64)}a`,
  ])('refuses %p', (eventType) => {
    expect(EVENT_TYPE_PATTERN.test(eventType)).toBe(false);
  });
});

describe('EVENT_TYPE_FILTER_PATTERN', () => {
  it.each([
    '*',
    'order.*',
    'order.*.failed',
    '*.paid',
    '*.*',
    'order.paid',
    'payment_succeeded',
    `${'a'.repeat(126)}.*`,
  ])('accepts %p', (filter) => {
    expect(EVENT_TYPE_FILTER_PATTERN.test(filter)).toBe(true);
  });

  it.each([
    '',
    '**',
    'ord*',
    'order.pa*',
    'order.**',
    'order.',
    '.*',
    'order..*',
    '*.',
    'order.#',
    'order.>',
    `${'a'.repeat(127)}.*`,
  ])('refuses %p', (filter) => {
    expect(EVENT_TYPE_FILTER_PATTERN.test(filter)).toBe(false);
  });

  it('accepts every valid event type as a filter', () => {
    for (const eventType of ['order.paid', 'payment_succeeded', 'a.b.c.d']) {
      expect(EVENT_TYPE_PATTERN.test(eventType)).toBe(true);
      expect(EVENT_TYPE_FILTER_PATTERN.test(eventType)).toBe(true);
    }
  });
});

describe('matchesEventType', () => {
  it('"*" matches every event type', () => {
    expect(MATCH_ALL_EVENT_TYPES).toBe('*');
    for (const eventType of ['order', 'order.paid', 'a.b.c.d.e', 'payment_succeeded']) {
      expect(matchesEventType(['*'], eventType)).toBe(true);
    }
  });

  it('matches an exact event type exactly', () => {
    expect(matchesEventType(['order.paid'], 'order.paid')).toBe(true);
    expect(matchesEventType(['order.paid'], 'order.paid.partially')).toBe(false);
    expect(matchesEventType(['order.paid'], 'order')).toBe(false);
    expect(matchesEventType(['order.paid'], 'order.pai')).toBe(false);
    expect(matchesEventType(['order.paid'], 'order.paidx')).toBe(false);
    expect(matchesEventType(['order'], 'orders')).toBe(false);
    expect(matchesEventType(['orders'], 'order')).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(matchesEventType(['order.paid'], 'Order.Paid')).toBe(false);
    expect(matchesEventType(['Order.*'], 'order.paid')).toBe(false);
  });

  it('a trailing ".*" matches everything below the prefix', () => {
    expect(matchesEventType(['order.*'], 'order.paid')).toBe(true);
    expect(matchesEventType(['order.*'], 'order.refund.partial')).toBe(true);
    expect(matchesEventType(['order.*'], 'order.a.b.c.d')).toBe(true);
  });

  it('a trailing ".*" does not match the prefix itself or a look-alike', () => {
    expect(matchesEventType(['order.*'], 'order')).toBe(false);
    expect(matchesEventType(['order.*'], 'orders.paid')).toBe(false);
    expect(matchesEventType(['order.*'], 'orde.paid')).toBe(false);
    expect(matchesEventType(['order.*'], 'payment.order.paid')).toBe(false);
  });

  it('a "*" in the middle matches exactly one segment', () => {
    expect(matchesEventType(['order.*.failed'], 'order.payment.failed')).toBe(true);
    expect(matchesEventType(['order.*.failed'], 'order.failed')).toBe(false);
    expect(matchesEventType(['order.*.failed'], 'order.a.b.failed')).toBe(false);
    expect(matchesEventType(['order.*.failed'], 'order.payment.failed.twice')).toBe(false);
    expect(matchesEventType(['order.*.failed'], 'order.payment.succeeded')).toBe(false);
  });

  it('a leading "*" matches exactly one segment', () => {
    expect(matchesEventType(['*.paid'], 'order.paid')).toBe(true);
    expect(matchesEventType(['*.paid'], 'invoice.paid')).toBe(true);
    expect(matchesEventType(['*.paid'], 'paid')).toBe(false);
    expect(matchesEventType(['*.paid'], 'shop.order.paid')).toBe(false);
  });

  it('several wildcards combine', () => {
    expect(matchesEventType(['*.*'], 'order')).toBe(false);
    expect(matchesEventType(['*.*'], 'order.paid')).toBe(true);
    expect(matchesEventType(['*.*'], 'order.refund.partial')).toBe(true);
    expect(matchesEventType(['*.payment.*'], 'order.payment.failed.twice')).toBe(true);
    expect(matchesEventType(['*.payment.*'], 'order.payment')).toBe(false);
  });

  it('matches when any filter matches', () => {
    const filters = ['invoice.created', 'order.*', 'user.*.deleted'];
    expect(matchesEventType(filters, 'invoice.created')).toBe(true);
    expect(matchesEventType(filters, 'order.paid')).toBe(true);
    expect(matchesEventType(filters, 'user.admin.deleted')).toBe(true);
    expect(matchesEventType(filters, 'invoice.paid')).toBe(false);
    expect(matchesEventType(filters, 'user.deleted')).toBe(false);
  });

  it('matches nothing with no filters', () => {
    expect(matchesEventType([], 'order.paid')).toBe(false);
  });

  it('does not let an empty segment stand for a wildcard segment', () => {
    expect(matchesEventType(['order.*.failed'], 'order..failed')).toBe(false);
    expect(matchesEventType(['*'], '')).toBe(false);
  });

  it('does not treat a trailing dot as the end of a type', () => {
    expect(matchesEventType(['order.'], 'order')).toBe(false);
    expect(matchesEventType(['order'], 'order.')).toBe(false);
  });

  it('treats "*" only as a whole segment', () => {
    expect(matchesEventType(['order.pa*'], 'order.paid')).toBe(false);
    expect(matchesEventType(['order.pa*'], 'order.pa*')).toBe(true);
  });

  it('handles the longest event types', () => {
    const long = `${'a.'.repeat(63)}ab`;
    expect(matchesEventType([long], long)).toBe(true);
    expect(matchesEventType(['a.*'], long)).toBe(true);
    expect(matchesEventType([`${long}.*`], long)).toBe(false);
  });

  it.each(PLATFORM_EVENT_TYPES)('matches platform event %p only when a filter names it', (type) => {
    expect(matchesEventType(['*'], type)).toBe(false);
    expect(matchesEventType([`${type.split('.')[0]!}.*`], type)).toBe(false);
    expect(matchesEventType(['*.*'], type)).toBe(false);
    expect(matchesEventType(['order.paid', type], type)).toBe(true);
  });
});
