import type { Connection } from 'mongoose';
import {
  EndpointCircuitRepository,
  EndpointHealthRepository,
  EndpointRepository,
  openConnection,
  type EndpointEntity,
} from '@app/dal';
import { openChangeLogTails } from '../../../../test/support/change-log-tails';
import { eventually } from '../../../../test/support/eventually';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { EndpointCache } from './endpoint-cache';

const T0 = new Date('2026-11-26T08:00:00.000Z');

function endpoint(id: string, appId: string, url = `https://example.com/${id}`): EndpointEntity {
  return {
    _id: id,
    appId,
    channel: 'webhook',
    url,
    eventTypes: ['*'],
    timeoutMs: 5_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [{ secret: 'whsec_test' }],
    recipientTokenHash: `hash_${id}`,
    createdAt: T0,
    updatedAt: T0,
  };
}

/** The real repository, counting its reads of endpoints by app. */
class CountingEndpoints extends EndpointRepository {
  reads = 0;

  override findByApps(appIds: readonly string[]): Promise<EndpointEntity[]> {
    this.reads++;
    return super.findByApps(appIds);
  }
}

describe('EndpointCache: kept between batches, dropped by the change log (real MongoDB)', () => {
  let connection: Connection;
  let endpoints: CountingEndpoints;
  let health: EndpointHealthRepository;
  let cache: EndpointCache;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_endpoint_cache'));
    endpoints = new CountingEndpoints(connection.model<EndpointEntity>('Endpoint'));
    health = new EndpointHealthRepository(connection.model<EndpointEntity>('Endpoint'));
    await endpoints.create(endpoint('ep_a1', 'app_a'));
    await endpoints.create(endpoint('ep_b1', 'app_b'));
    cache = new EndpointCache(endpoints);
    cache.onModuleInit();
  });
  afterAll(async () => {
    await cache.onModuleDestroy();
    await connection.dropDatabase();
    await connection.close();
  });

  const urlsOf = async (appId: string) =>
    ((await cache.ofApps([appId])).get(appId) ?? []).map((e) => e.url).sort();

  /** Read until the cache holds the app again (the tail opens, or a change dropped it). */
  async function cached(appId: string): Promise<void> {
    await eventually(async () => {
      await cache.ofApps([appId]);
      const before = endpoints.reads;
      await cache.ofApps([appId]);
      return endpoints.reads === before ? true : undefined;
    });
  }

  it('reads an app once while nothing changes', async () => {
    await cached('app_a');
    const before = endpoints.reads;
    for (let i = 0; i < 5; i++)
      expect(await urlsOf('app_a')).toEqual(['https://example.com/ep_a1']);
    expect(endpoints.reads).toBe(before);
  });

  it("checks intake's held endpoints against the log's end, with no read of them while nothing changed", async () => {
    await cached('app_a');
    // Once the tail has read the log to its end.
    await eventually(async () =>
      (await (await cache.forIntake(['app_a'])).check) === undefined ? true : undefined,
    );
    const before = endpoints.reads;
    for (let i = 0; i < 5; i++) {
      const { byApp, check } = await cache.forIntake(['app_a']);
      expect(byApp.get('app_a')?.map((e) => e.url)).toEqual(['https://example.com/ep_a1']);
      expect(await check).toBeUndefined();
    }
    expect(endpoints.reads).toBe(before);
  });

  it('drops an app when one of its endpoints is created, changed or deleted, not another app', async () => {
    await cached('app_a');
    await cached('app_b');
    await endpoints.create(endpoint('ep_a2', 'app_a'));
    await eventually(async () => ((await urlsOf('app_a')).length === 2 ? true : undefined));

    await endpoints.updateSettings(
      'app_a',
      'ep_a1',
      { url: 'https://example.com/moved' },
      { now: T0, freshHealth: false },
    );
    await eventually(async () =>
      (await urlsOf('app_a')).includes('https://example.com/moved') ? true : undefined,
    );

    await endpoints.delete('app_a', 'ep_a2');
    await eventually(async () => ((await urlsOf('app_a')).length === 1 ? true : undefined));

    // app_b was never dropped: still no read of it.
    const before = endpoints.reads;
    await cache.ofApps(['app_b']);
    expect(endpoints.reads).toBe(before);
  });

  it('keeps an app through writes of health counters only', async () => {
    await cached('app_b');
    const before = endpoints.reads;
    await health.record(
      [
        {
          endpointId: 'ep_b1',
          lastFailureAt: T0,
          streak: { kind: 'extended', failures: 1, from: T0 },
          closeCircuit: false,
        },
      ],
      { writer: 'writer_1', batch: 1 },
    );
    // A change that does drop it, after the health write: once it is seen, the health write was
    // too.
    await endpoints.updateSettings(
      'app_a',
      'ep_a1',
      { description: 'marker' },
      { now: T0, freshHealth: false },
    );
    await eventually(async () => {
      const reads = endpoints.reads;
      await cache.ofApps(['app_a']);
      return endpoints.reads > reads ? true : undefined;
    });
    await cache.ofApps(['app_b']);
    expect(endpoints.reads).toBe(before + 1);
  });

  it("drops an app when its endpoint's circuit or enabled flag changes, whoever writes it", async () => {
    const circuits = new EndpointCircuitRepository(connection.model<EndpointEntity>('Endpoint'));
    const held = async () => (await cache.ofApps(['app_b'])).get('app_b')![0]!;
    const until = new Date(T0.getTime() + 60_000);
    const hold = new Date(until.getTime() + 30_000);
    const success = (batch: number, seenOpen: string[]) =>
      health.record(
        [
          {
            endpointId: 'ep_b1',
            lastSuccessAt: hold,
            streak: { kind: 'restarted', failures: 0 },
            closeCircuit: true,
          },
        ],
        { writer: 'writer_2', batch },
        new Set(seenOpen),
      );
    const circuitOpenUntil = (at: Date | undefined) =>
      eventually(
        async () => (await held()).circuitOpenUntil?.getTime() === at?.getTime() || undefined,
      );

    await cached('app_b');
    await circuits.write([{ kind: 'open', endpointId: 'ep_b1', until, openings: 1, seen: {} }]);
    await circuitOpenUntil(until);
    expect(await circuits.acquireProbe('ep_b1', until, hold)).toBe(true);
    await circuitOpenUntil(hold);
    // The probe's success closes the circuit its attempt saw open.
    await success(1, ['ep_b1']);
    await circuitOpenUntil(undefined);

    // Closed by a success that did not see it open (another notifier opened it meanwhile): held
    // open until the first probe finds it closed.
    await circuits.write([{ kind: 'open', endpointId: 'ep_b1', until, openings: 1, seen: {} }]);
    await circuitOpenUntil(until);
    await success(2, []);
    expect((await held()).circuitOpenUntil).toEqual(until);
    expect(await circuits.acquireProbe('ep_b1', until, hold)).toBe(false);
    await circuitOpenUntil(undefined);

    await health.record(
      [
        {
          endpointId: 'ep_b1',
          lastFailureAt: hold,
          streak: { kind: 'extended', failures: 1, from: hold },
          disable: { reason: 'HTTP 410 Gone', at: hold },
          closeCircuit: false,
        },
      ],
      { writer: 'writer_2', batch: 3 },
    );
    await eventually(async () => ((await held()).enabled === false ? true : undefined));
  });

  /** Kills the server's cursor of the cache's tail of the change log, as a failover may end it. */
  async function killTail(): Promise<void> {
    // The process's one tail (ChangeLog), which follows endpoints among others.
    const [cursorId] = await openChangeLogTails(connection);
    const killed = await connection.db!.command({ killCursors: 'change_log', cursors: [cursorId] });
    expect(killed.cursorsKilled).toHaveLength(1);
  }

  it('follows changes again after its tail was ended under it', async () => {
    await cached('app_b');
    await killTail();
    const move = (url: string) =>
      endpoints.updateSettings('app_b', 'ep_b1', { url }, { now: T0, freshHealth: false });
    // While the tail is down, nothing is kept: the change is read.
    await move('https://example.com/while-down');
    await eventually(async () =>
      (await urlsOf('app_b')).includes('https://example.com/while-down') ? true : undefined,
    );
    // Reopened, it holds the app again, and drops it on the next change.
    await cached('app_b');
    await move('https://example.com/after-reopen');
    await eventually(async () =>
      (await urlsOf('app_b')).includes('https://example.com/after-reopen') ? true : undefined,
    );
  });

  it('finds endpoints by id within the apps of the deliveries', async () => {
    const found = await cache.byIds([
      { appId: 'app_a', endpointId: 'ep_a1' },
      { appId: 'app_b', endpointId: 'ep_b1' },
      { appId: 'app_b', endpointId: 'ep_a1' },
      { appId: 'app_a', endpointId: 'ep_gone' },
    ]);
    expect([...found.keys()].sort()).toEqual(['ep_a1', 'ep_b1']);
  });
});
