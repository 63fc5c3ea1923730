import type { Connection, Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { EndpointEntity } from './endpoint.entity';
import { EndpointRepository } from './endpoint.repository';

const T0 = new Date('2026-11-26T08:00:00.000Z');

function endpoint(appId: string, id: string): EndpointEntity {
  return {
    _id: id,
    appId,
    channel: 'webhook',
    url: 'https://shop.test/hook',
    eventTypes: ['*'],
    timeoutMs: 10_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [],
    recipientTokenHash: `hash_${id}`,
    createdAt: T0,
    updatedAt: T0,
  };
}

describe('creating endpoints within the app quota (real MongoDB)', () => {
  let connection: Connection;
  let endpoints: Model<EndpointEntity>;
  let repository: EndpointRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_endpoint_quota'));
    endpoints = connection.model<EndpointEntity>('Endpoint');
    repository = new EndpointRepository(endpoints);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('creates exactly the quota when many requests create at once', async () => {
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        repository.createWithinQuota(endpoint('app_race', `ep_race_${i}`), 5),
      ),
    );
    expect(created.filter(Boolean)).toHaveLength(5);
    expect(await endpoints.countDocuments({ appId: 'app_race' })).toBe(5);
  });

  it('counts endpoints from before quota places, and gives a deleted endpoint’s place again', async () => {
    // Two endpoints stored without a place (created by an earlier version).
    await endpoints.collection.insertMany([
      { ...endpoint('app_old', 'ep_old_1') },
      { ...endpoint('app_old', 'ep_old_2') },
    ] as never[]);
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        repository.createWithinQuota(endpoint('app_old', `ep_new_${i}`), 3),
      ),
    );
    expect(created.filter(Boolean)).toHaveLength(1);

    expect(await repository.delete('app_old', 'ep_old_1')).toBe(true);
    expect(await repository.createWithinQuota(endpoint('app_old', 'ep_after_delete'), 3)).toBe(
      true,
    );
    expect(await repository.createWithinQuota(endpoint('app_old', 'ep_over'), 3)).toBe(false);
    expect(await endpoints.countDocuments({ appId: 'app_old' })).toBe(3);
  });
});
