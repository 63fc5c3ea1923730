import { UsageError } from '../cli-error';
import { buildCreateEndpoint, buildUpdateEndpoint } from './endpoint-flags';

describe('buildCreateEndpoint', () => {
  it('builds a webhook endpoint from the flags, with the contract defaults', () => {
    expect(
      buildCreateEndpoint({
        endpointUrl: 'https://shop.example/hooks',
        eventType: ['order.*', 'refund.created'],
        retrySchedule: '15s,1m',
        timeout: '5s',
        header: ['X-Team: payments', 'X-Env:dev'],
        description: 'shop',
      }),
    ).toEqual({
      channel: 'webhook',
      url: 'https://shop.example/hooks',
      eventTypes: ['order.*', 'refund.created'],
      retrySchedule: [15_000, 60_000],
      timeoutMs: 5_000,
      headers: { 'X-Team': 'payments', 'X-Env': 'dev' },
      description: 'shop',
      enabled: true,
      ordered: false,
      orderedBlockOnFailure: false,
    });
  });

  it('takes other fields from --data; flags win over it', () => {
    expect(
      buildCreateEndpoint({
        channel: 'email',
        to: 'ops@example.com',
        data: '{"to":"other@example.com","template":{"subject":"{{payload.id}}"}}',
      }),
    ).toMatchObject({
      channel: 'email',
      to: 'ops@example.com',
      template: { subject: '{{payload.id}}' },
    });
  });

  it.each([
    [{}, /--endpoint-url: is required for the webhook channel/],
    [{ endpointUrl: 'ftp://x' }, /--endpoint-url: must use http: or https:/],
    [{ endpointUrl: 'http://x', eventType: ['no spaces'] }, /--event-type/],
    [{ endpointUrl: 'http://x', retrySchedule: '15s,,1m' }, /--retry-schedule: entry 2/],
    [{ endpointUrl: 'http://x', timeout: 'soon' }, /--timeout/],
    [{ endpointUrl: 'http://x', header: ['no colon'] }, /--header must be "Name: value"/],
    [{ endpointUrl: 'http://x', data: '[1]' }, /--data: must be a JSON object/],
    [{ channel: 'fax' }, /--channel/],
  ])('refuses %j as wrong usage naming the flag', (flags, message) => {
    expect(() => buildCreateEndpoint(flags)).toThrow(UsageError);
    expect(() => buildCreateEndpoint(flags)).toThrow(message);
  });
});

describe('buildUpdateEndpoint', () => {
  it('sends only what was given; none clears the schedule, --data may set null', () => {
    expect(buildUpdateEndpoint({ retrySchedule: 'none', enable: true })).toEqual({
      retrySchedule: [],
      enabled: true,
    });
    expect(buildUpdateEndpoint({ disable: true, data: '{"description":null}' })).toEqual({
      enabled: false,
      description: null,
    });
  });

  it('refuses an empty change, a channel change, both --enable and --disable, unknown fields', () => {
    expect(() => buildUpdateEndpoint({})).toThrow(/nothing to change/);
    expect(() => buildUpdateEndpoint({ channel: 'sms' })).toThrow(/--channel/);
    expect(() => buildUpdateEndpoint({ enable: true, disable: true })).toThrow(/exclude/);
    expect(() => buildUpdateEndpoint({ data: '{"colour":"red"}' })).toThrow(UsageError);
  });
});
