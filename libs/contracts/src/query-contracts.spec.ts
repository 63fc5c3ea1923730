import { createEndpointSchema } from './endpoint.contract';
import { inboxQuerySchema } from './inbox.contract';
import { listMessagesQuerySchema } from './message-query.contract';
import { recoverEndpointSchema } from './recover.contract';

function fields(result: { success: boolean; error?: { issues: { path: (string | number)[] }[] } }) {
  return result.error?.issues.map((issue) => issue.path.join('.')) ?? [];
}

describe('listMessagesQuerySchema', () => {
  it('defaults the limit and reads times with a Z or an offset', () => {
    expect(
      listMessagesQuerySchema.parse({
        since: '2026-11-26T08:00:00Z',
        until: '2026-11-26T10:00:00.000+01:00',
      }),
    ).toEqual({
      limit: 50,
      since: new Date('2026-11-26T08:00:00.000Z'),
      until: new Date('2026-11-26T09:00:00.000Z'),
    });
  });

  it.each([
    [{ limit: '0' }, ['limit']],
    [{ limit: '501' }, ['limit']],
    [{ status: 'sent' }, ['status']],
    [{ eventType: 'order.*' }, ['eventType']],
    [{ since: '2026-11-26' }, ['since']],
    // A well-formed offset no clock has: the time would be an Invalid Date.
    [{ since: '2026-11-26T08:00:00+99:99' }, ['since']],
    [{ until: '2026-11-26T08:00:00-24:00' }, ['until']],
    [{ since: '2026-11-26T09:00:00Z', until: '2026-11-26T09:00:00Z' }, ['until']],
  ])('refuses %j naming %j', (query, expected) => {
    expect(fields(listMessagesQuerySchema.safeParse(query))).toEqual(expected);
  });
});

describe('durations in requests', () => {
  const webhook = { channel: 'webhook', url: 'https://shop.test/hook' };

  it('refuses a retry delay too far ahead to be a date, naming the entry', () => {
    const result = createEndpointSchema.safeParse({
      ...webhook,
      retrySchedule: ['1m', '100000000d'],
    });
    expect(fields(result)).toEqual(['retrySchedule.1']);
    expect(result.error?.issues[0]?.message).toBe(
      '"100000000d" is longer than the longest duration accepted, 365d',
    );
    expect(createEndpointSchema.safeParse({ ...webhook, retrySchedule: ['365d'] }).success).toBe(
      true,
    );
  });
});

describe('inboxQuerySchema', () => {
  it('defaults to every status and 50 items', () => {
    expect(inboxQuerySchema.parse({})).toEqual({ status: 'all', limit: 50, after: undefined });
  });

  it('takes `cursor` as an alias of `after`, `after` winning', () => {
    expect(inboxQuerySchema.parse({ cursor: 'c' }).after).toBe('c');
    expect(inboxQuerySchema.parse({ cursor: 'c', after: 'a' }).after).toBe('a');
  });

  it.each([
    [{ status: 'delivered' }, ['status']],
    [{ limit: 'many' }, ['limit']],
    [{ after: '' }, ['after']],
    [{ since: 'yesterday' }, ['since']],
    [{ since: '2026-11-26T08:00:00+99:99' }, ['since']],
  ])('refuses %j naming %j', (query, expected) => {
    expect(fields(inboxQuerySchema.safeParse(query))).toEqual(expected);
  });

  it('takes since as an ISO 8601 time', () => {
    expect(inboxQuerySchema.parse({ since: '2026-11-26T09:00:00+01:00' }).since).toEqual(
      new Date('2026-11-26T08:00:00Z'),
    );
  });
});

describe('recoverEndpointSchema', () => {
  it('needs since; until and dryRun are optional', () => {
    expect(recoverEndpointSchema.parse({ since: '2026-11-26T08:00:00Z' })).toEqual({
      since: new Date('2026-11-26T08:00:00Z'),
      dryRun: false,
    });
  });

  it.each([
    [{}, ['since']],
    [{ since: 1764144000000 }, ['since']],
    [{ since: '2026-11-26T08:00:00Z', dryRun: 'true' }, ['dryRun']],
    [{ since: '2026-11-26T08:00:00Z', until: '2026-11-26T07:00:00Z' }, ['until']],
    [{ since: '2026-11-26T08:00:00Z', dry_run: true }, ['']],
  ])('refuses %j naming %j', (body, expected) => {
    expect(fields(recoverEndpointSchema.safeParse(body))).toEqual(expected);
  });
});
