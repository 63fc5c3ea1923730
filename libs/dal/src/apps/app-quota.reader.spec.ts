import type { AppQuotas } from '@app/contracts';
import { AppQuotaReader, QUOTA_CACHE_MS } from './app-quota.reader';
import type { AppRepository } from './app.repository';

const DEFAULTS: AppQuotas = {
  endpoints: 100,
  messagesPerSecond: 1_000,
  emailsPerHour: 1_000,
  smsPerHour: 100,
  minRetryDelay: 1_000,
  retryScheduleLength: 50,
  eventTypesPerEndpoint: 100,
  headersBytes: 16_384,
  templateBytes: 65_536,
};

/** A stand-in for the repository's one query: the quotas stored per app, and the reads made. */
function fakeApps(stored: Map<string, Partial<AppQuotas>>) {
  const reads: string[][] = [];
  const apps = {
    findLimits: (ids: readonly string[]) => {
      reads.push([...ids]);
      return Promise.resolve(new Map(ids.map((id) => [id, { quotas: stored.get(id) }])));
    },
  } as unknown as AppRepository;
  return { apps, reads };
}

describe('AppQuotaReader', () => {
  it("merges an app's own quotas over the defaults, and reads each app once per cache period", async () => {
    const stored = new Map([['app_a', { messagesPerSecond: 5 }]]);
    const { apps, reads } = fakeApps(stored);
    let now = 0;
    const reader = new AppQuotaReader(apps, DEFAULTS, () => now);

    const first = await reader.quotasOfMany(['app_a', 'app_b', 'app_a']);
    expect(first.get('app_a')).toEqual({ ...DEFAULTS, messagesPerSecond: 5 });
    expect(first.get('app_b')).toEqual(DEFAULTS);
    expect(reads).toEqual([['app_a', 'app_b']]);

    stored.set('app_a', { messagesPerSecond: 7 });
    now = QUOTA_CACHE_MS - 1;
    expect((await reader.quotasOf('app_a')).messagesPerSecond).toBe(5);
    expect(reads).toHaveLength(1);

    now = QUOTA_CACHE_MS;
    expect((await reader.quotasOf('app_a')).messagesPerSecond).toBe(7);
    expect(reads).toEqual([['app_a', 'app_b'], ['app_a']]);
  });

  it('reads again at once after forget (this process changed the app)', async () => {
    const stored = new Map([['app_a', { endpoints: 3 }]]);
    const { apps } = fakeApps(stored);
    const reader = new AppQuotaReader(apps, DEFAULTS, () => 0);
    expect((await reader.quotasOf('app_a')).endpoints).toBe(3);
    stored.set('app_a', { endpoints: 4 });
    reader.forget('app_a');
    expect((await reader.quotasOf('app_a')).endpoints).toBe(4);
  });
});
