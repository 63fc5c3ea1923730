import { buildPublishMessage, parseDurationArg, parseTimeArg } from './args';
import { UsageError } from './cli-error';

describe('parseTimeArg', () => {
  const now = new Date('2026-11-26T08:00:00.000Z');

  it('takes ISO 8601 times, with Z or an offset', () => {
    expect(parseTimeArg('--since', '2026-11-25T08:00:00Z', now)).toEqual(
      new Date('2026-11-25T08:00:00.000Z'),
    );
    expect(parseTimeArg('--since', '2026-11-25T09:00:00+01:00', now)).toEqual(
      new Date('2026-11-25T08:00:00.000Z'),
    );
  });

  it('takes a duration as that long ago', () => {
    expect(parseTimeArg('--since', '2h', now)).toEqual(new Date('2026-11-26T06:00:00.000Z'));
    expect(parseTimeArg('--since', '1d', now)).toEqual(new Date('2026-11-25T08:00:00.000Z'));
  });

  it('refuses anything else as a usage error naming the flag', () => {
    expect(() => parseTimeArg('--since', 'yesterday', now)).toThrow(UsageError);
    expect(() => parseTimeArg('--until', '2026-13-01', now)).toThrow(/--until/);
  });
});

describe('parseDurationArg', () => {
  it('parses durations and names the flag when it cannot', () => {
    expect(parseDurationArg('--interval', '500ms')).toBe(500);
    expect(() => parseDurationArg('--interval', 'often')).toThrow(/--interval/);
  });
});

describe('buildPublishMessage', () => {
  it('builds the POST /v1/messages body from the flags', () => {
    expect(
      buildPublishMessage({
        eventType: 'order.paid',
        payload: '{"orderId":1}',
        idempotencyKey: 'k',
        endpoint: ['ep_1', 'ep_2'],
      }),
    ).toEqual({
      eventType: 'order.paid',
      payload: { orderId: 1 },
      idempotencyKey: 'k',
      endpointIds: ['ep_1', 'ep_2'],
    });
    expect(buildPublishMessage({ eventType: 'a', payload: '{}' })).toEqual({
      eventType: 'a',
      payload: {},
    });
  });

  it.each([
    ['{oops', /--payload is not JSON/],
    ['[1,2]', /--payload: must be a JSON object/],
    ['"text"', /--payload/],
  ])('refuses the payload %s', (payload, message) => {
    expect(() => buildPublishMessage({ eventType: 'a', payload })).toThrow(message);
  });

  it('refuses a bad event type, naming the flag', () => {
    expect(() => buildPublishMessage({ eventType: 'a b', payload: '{}' })).toThrow(/--event-type/);
  });
});
