import type { AppQuotas } from '@app/contracts';
import { endpointQuotaProblems } from './endpoint-quotas';

const QUOTAS: AppQuotas = {
  endpoints: 10,
  messagesPerSecond: 10,
  emailsPerHour: 10,
  smsPerHour: 10,
  minRetryDelay: 1_000,
  retryScheduleLength: 3,
  eventTypesPerEndpoint: 2,
  headersBytes: 10,
  templateBytes: 10,
};

const fields = (problems: { field: string }[]) => problems.map((problem) => problem.field);

describe('endpointQuotaProblems', () => {
  it('accepts what is within every quota, and fields that are absent', () => {
    expect(
      endpointQuotaProblems(
        {
          retrySchedule: [1_000, 5_000, 60_000],
          eventTypes: ['a', 'b'],
          headers: { 'x-a': '1234567' },
          template: { subject: 'hi', text: '12345678' },
        },
        QUOTAS,
      ),
    ).toEqual([]);
    expect(endpointQuotaProblems({}, QUOTAS)).toEqual([]);
    expect(endpointQuotaProblems({ retrySchedule: null, template: null }, QUOTAS)).toEqual([]);
  });

  it('names each delay under minRetryDelay and a schedule over its length', () => {
    const problems = endpointQuotaProblems({ retrySchedule: [999, 1_000, 0, 2_000] }, QUOTAS);
    expect(fields(problems)).toEqual(['retrySchedule', 'retrySchedule.0', 'retrySchedule.2']);
    expect(problems[1]!.message).toBe('must be at least 1000 ms (quota minRetryDelay)');
  });

  it('counts headers and templates in UTF-8 bytes, names and values together', () => {
    // 'x-é' is 4 bytes, 'ééé' 6: 10 in all, at the quota; one more byte is over.
    expect(endpointQuotaProblems({ headers: { 'x-é': 'ééé' } }, QUOTAS)).toEqual([]);
    expect(fields(endpointQuotaProblems({ headers: { 'x-é': 'éééa' } }, QUOTAS))).toEqual([
      'headers',
    ]);
    expect(
      fields(endpointQuotaProblems({ template: { subject: '12345', html: '123456' } }, QUOTAS)),
    ).toEqual(['template']);
  });

  it('bounds the number of event types', () => {
    expect(fields(endpointQuotaProblems({ eventTypes: ['a', 'b', 'c'] }, QUOTAS))).toEqual([
      'eventTypes',
    ]);
  });
});
