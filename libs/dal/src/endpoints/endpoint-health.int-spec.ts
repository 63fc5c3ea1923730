import type { Connection, Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { EndpointEntity } from './endpoint.entity';
import { EndpointCircuitRepository } from './endpoint-circuit.repository';
import { EndpointHealthRepository, type EndpointHealthUpdate } from './endpoint-health.repository';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
/** `count` failures, the first at `from` ms and the last at `to`. */
const failed = (from: number, to = from, count = 1): EndpointHealthUpdate => ({
  endpointId: 'ep_1',
  lastFailureAt: at(to),
  streak: { kind: 'extended', failures: count, from: at(from) },
  closeCircuit: false,
});

describe('recording endpoint health (real MongoDB)', () => {
  let connection: Connection;
  let endpoints: Model<EndpointEntity>;
  let repository: EndpointHealthRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_health'));
    endpoints = connection.model<EndpointEntity>('Endpoint');
    repository = new EndpointHealthRepository(endpoints);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(async () => {
    await endpoints.deleteMany({});
    await endpoints.collection.insertOne({
      _id: 'ep_1',
      appId: 'app_1',
      channel: 'webhook',
      url: 'https://shop.test/hook',
      enabled: true,
      consecutiveFailures: 0,
    } as never);
  });
  const stored = () => endpoints.findById('ep_1').lean<EndpointEntity>().exec();

  it('counts each failure once when a batch is written again after a partial write', async () => {
    const batch = [failed(1, 3, 3)];
    await repository.record(batch, { writer: 'w_a', batch: 1 });
    // The batch's attempt log or delivery write failed, so the whole batch is written again.
    await repository.record(batch, { writer: 'w_a', batch: 1 });
    expect(await stored()).toMatchObject({ consecutiveFailures: 3, failingSince: at(1) });

    // The next batch of that writer, and another writer's, count as usual.
    await repository.record([failed(4)], { writer: 'w_a', batch: 2 });
    await repository.record([failed(5)], { writer: 'w_b', batch: 1 });
    await repository.record([failed(5)], { writer: 'w_b', batch: 1 });
    // A running streak keeps its start.
    expect(await stored()).toMatchObject({
      consecutiveFailures: 5,
      lastFailureAt: at(5),
      failingSince: at(1),
    });
    // A success written twice resets once; the failure after it is not counted again either.
    const recovered: EndpointHealthUpdate[] = [
      {
        endpointId: 'ep_1',
        lastSuccessAt: at(6),
        lastFailureAt: at(7),
        streak: { kind: 'restarted', failures: 1, since: at(7) },
        closeCircuit: true,
      },
    ];
    await repository.record(recovered, { writer: 'w_a', batch: 3 });
    await repository.record(recovered, { writer: 'w_a', batch: 3 });
    expect(await stored()).toMatchObject({
      consecutiveFailures: 1,
      lastSuccessAt: at(6),
      failingSince: at(7),
    });
  });

  it('closes the circuit, ends the streak and disables, as the update says', async () => {
    await endpoints.updateOne(
      { _id: 'ep_1' },
      { failingSince: at(1), circuitOpenUntil: at(9), circuitOpenings: 2, circuitProbing: true },
    );
    await repository.record(
      [
        {
          endpointId: 'ep_1',
          lastSuccessAt: at(10),
          streak: { kind: 'restarted', failures: 0 },
          disable: { reason: 'HTTP 410 Gone', at: at(11) },
          closeCircuit: true,
        },
      ],
      { writer: 'w_a', batch: 1 },
    );
    const endpoint = await stored();
    expect(endpoint).toMatchObject({
      enabled: false,
      disabledReason: 'HTTP 410 Gone',
      updatedAt: at(11),
      consecutiveFailures: 0,
    });
    for (const field of ['failingSince', 'circuitOpenUntil', 'circuitOpenings', 'circuitProbing']) {
      expect(endpoint).not.toHaveProperty(field);
    }
  });

  it('writes nothing for successes to a healthy endpoint with a success stored since unlessHealthySince', async () => {
    const succeeded = (ms: number): EndpointHealthUpdate => ({
      endpointId: 'ep_1',
      lastSuccessAt: at(ms),
      streak: { kind: 'restarted', failures: 0 },
      closeCircuit: true,
      unlessHealthySince: at(ms - 1_000),
    });
    // The first success is written: nothing was stored.
    await repository.record([succeeded(1_000)], { writer: 'w_a', batch: 1 });
    expect(await stored()).toMatchObject({ lastSuccessAt: at(1_000) });
    const written = await stored();

    // Half a second later: the stored success is recent enough; not even the mark is written.
    await repository.record([succeeded(1_500)], { writer: 'w_a', batch: 2 });
    expect(await stored()).toEqual(written);

    // Another writer counted a failure meanwhile: the next success resets it at once.
    await repository.record([failed(1_600)], { writer: 'w_b', batch: 1 });
    await repository.record([succeeded(1_700)], { writer: 'w_a', batch: 3 });
    expect(await stored()).toMatchObject({ consecutiveFailures: 0, lastSuccessAt: at(1_700) });
    expect(await stored()).not.toHaveProperty('failingSince');

    // An open circuit is closed by a success, however recent the stored one.
    await endpoints.updateOne({ _id: 'ep_1' }, { circuitOpenUntil: at(9_000), circuitOpenings: 1 });
    await repository.record([succeeded(1_800)], { writer: 'w_a', batch: 4 });
    expect(await stored()).not.toHaveProperty('circuitOpenUntil');
    expect(await stored()).toMatchObject({ lastSuccessAt: at(1_800) });

    // More than the resolution after the stored success: written again.
    await repository.record([succeeded(3_000)], { writer: 'w_a', batch: 5 });
    expect(await stored()).toMatchObject({ lastSuccessAt: at(3_000) });
  });

  it('keeps the marks of a bounded number of writers, the most recent ones', async () => {
    for (let writer = 0; writer < 40; writer++) {
      await repository.record([failed(writer)], { writer: `w_${writer}`, batch: 1 });
    }
    const endpoint = await stored();
    expect(endpoint?.consecutiveFailures).toBe(40);
    expect(endpoint?.healthWrites?.length).toBeLessThanOrEqual(32);
    expect(endpoint?.healthWrites?.at(-1)).toEqual({ writer: 'w_39', batch: 1 });
  });
});

describe('closing circuits before a success is written (real MongoDB)', () => {
  let connection: Connection;
  let endpoints: Model<EndpointEntity>;
  let circuits: EndpointCircuitRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_circuit_close'));
    endpoints = connection.model<EndpointEntity>('Endpoint');
    circuits = new EndpointCircuitRepository(endpoints);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('closes only open circuits, each once, and says which with the cool-down end it had', async () => {
    const base = { appId: 'app_1', channel: 'webhook', enabled: true, consecutiveFailures: 3 };
    await endpoints.collection.insertMany([
      {
        _id: 'ep_open',
        ...base,
        recipientTokenHash: 'h1',
        circuitOpenUntil: at(30_000),
        circuitOpenings: 2,
      },
      {
        _id: 'ep_probing',
        ...base,
        recipientTokenHash: 'h2',
        circuitOpenUntil: at(5_000),
        circuitProbing: true,
      },
      { _id: 'ep_closed', ...base, recipientTokenHash: 'h3' },
    ] as never[]);

    // Two notifiers close at once: each circuit is reported by one of them.
    const [first, second] = await Promise.all([
      circuits.closeOpen(['ep_open', 'ep_probing', 'ep_closed', 'ep_open']),
      circuits.closeOpen(['ep_open', 'ep_probing']),
    ]);
    const closed = [...first, ...second].sort((a, b) => a.endpointId.localeCompare(b.endpointId));
    expect(closed).toEqual([
      { endpointId: 'ep_open', openUntil: at(30_000) },
      { endpointId: 'ep_probing', openUntil: at(5_000) },
    ]);
    const stored = await endpoints.find().lean<EndpointEntity[]>().exec();
    for (const endpoint of stored) {
      expect(endpoint).not.toHaveProperty('circuitOpenUntil');
      expect(endpoint).not.toHaveProperty('circuitOpenings');
      expect(endpoint).not.toHaveProperty('circuitProbing');
    }
    expect(await circuits.closeOpen(['ep_open'])).toEqual([]);
  });
});
