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
    findQuotas: (ids: readonly string[]) => {
      reads.push([...ids]);
      return Promise.resolve(new Map(ids.map((id) => [id, stored.get(id)])));
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

describe('AppQuotaReader while MongoDB cannot be read', () => {
  const unreachable = Object.assign(new Error('no server'), { name: 'MongoServerSelectionError' });

  it('uses the quotas last read, however old, and fails for an app never read', async () => {
    const stored = new Map([['app_a', { messagesPerSecond: 5 }]]);
    const { apps } = fakeApps(stored);
    let now = 0;
    const reader = new AppQuotaReader(apps, DEFAULTS, () => now);
    await reader.quotasOf('app_a');
    now += 10 * QUOTA_CACHE_MS;
    apps.findQuotas = () => Promise.reject(unreachable);
    expect((await reader.quotasOf('app_a')).messagesPerSecond).toBe(5);
    await expect(reader.quotasOf('app_b')).rejects.toBe(unreachable);
  });

  it('does not wait for a read when no member answers and it read the app before', async () => {
    const { apps, reads } = fakeApps(new Map());
    let now = 0;
    let readable = true;
    const reader = new AppQuotaReader(
      apps,
      DEFAULTS,
      () => now,
      () => readable,
    );
    await reader.quotasOf('app_a');
    now += 10 * QUOTA_CACHE_MS;
    readable = false;
    expect(await reader.quotasOf('app_a')).toEqual(DEFAULTS);
    expect(reads).toHaveLength(1);
  });
});
