import type { Connection } from 'mongoose';
import { openChangeLogTails } from '../../../../test/support/change-log-tails';
import { eventually } from '../../../../test/support/eventually';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import { recordEndpointChanges, type EndpointChange } from '../endpoints/endpoint-changes';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import { EndpointRepository } from '../endpoints/endpoint.repository';
import type { EventTypeChange } from '../event-types/event-type-changes';
import type { EventTypeEntity } from '../event-types/event-type.entity';
import { EventTypeRepository } from '../event-types/event-type.repository';
import { CHANGE_LOG } from './change-log';
import type { ChangeListener } from './watch-changes';

/** What a follower was told, in order. */
class Recorded<C> {
  ready = false;
  changes: C[] = [];
  failures: unknown[] = [];

  whenReady(): Promise<true> {
    return eventually(() => (this.ready ? true : undefined), { what: 'the tail to open' });
  }
}

describe('ChangeLog: one tail for every collection followed (real MongoDB)', () => {
  let connection: Connection;
  let endpoints: EndpointRepository;
  let eventTypes: EventTypeRepository;
  const open: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    connection = await openConnection(testDatabaseUri('test_change_log'));
    endpoints = new EndpointRepository(connection.model<EndpointEntity>('Endpoint'));
    eventTypes = new EventTypeRepository(connection.model<EventTypeEntity>('EventType'));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((stream) => stream.close()));
    await connection.dropDatabase();
    await connection.close();
  });

  function follow<C>(watch: (listener: ChangeListener<C>) => { close(): Promise<void> }) {
    const listener = new Recorded<C>();
    open.push(
      watch({
        ready: () => (listener.ready = true),
        changed: (change) => listener.changes.push(change),
        failed: (error) => listener.failures.push(error),
      }),
    );
    return listener;
  }

  const followEndpoints = () =>
    follow<EndpointChange>((listener) => endpoints.watchChanges(listener));
  const followEventTypes = () =>
    follow<EventTypeChange>((listener) => eventTypes.watchChanges(listener));

  // As the API writes them: each writer records its change in the log.
  const addEndpoint = (id: string) =>
    endpoints.create({
      _id: id,
      appId: 'app_a',
      channel: 'webhook',
      url: `https://example.com/${id}`,
      eventTypes: ['*'],
      timeoutMs: 5_000,
      headers: {},
      enabled: true,
      consecutiveFailures: 0,
      secrets: [],
      recipientTokenHash: `hash_${id}`,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
  const addEventType = (name: string) =>
    eventTypes.put('app_a', name, { deprecated: false }, new Date());
  const eventTypeNames = (listener: Recorded<EventTypeChange>) =>
    listener.changes.map((change) => change.name);

  /**
   * The tails open on this test's database, as the server counts them, once one shows: $currentOp
   * can miss a tail's cursor while its getMore ends (one CI run counted 0 right after a change).
   */
  const tailsOpen = async () => (await openChangeLogTails(connection)).length;

  it('follows endpoints and event types on one tail, each told only of its own collection', async () => {
    const ofEndpoints = followEndpoints();
    const ofEventTypes = followEventTypes();
    await ofEndpoints.whenReady();
    await ofEventTypes.whenReady();
    expect(await tailsOpen()).toBe(1);

    await addEndpoint('ep_1');
    await addEventType('order.paid');
    await eventually(() => (ofEventTypes.changes.length > 0 ? true : undefined));
    await eventually(() => (ofEndpoints.changes.length > 0 ? true : undefined));
    expect(ofEndpoints.changes).toEqual([{ endpointId: 'ep_1', appId: 'app_a' }]);
    expect(ofEventTypes.changes).toEqual([
      { eventTypeId: expect.stringMatching(/^evt_/), appId: 'app_a', name: 'order.paid' },
    ]);
  });

  it('stores only what a writer knows of a change: no app for one that does not know it', async () => {
    // As the circuit breaker's writes record theirs (EndpointCircuitRepository).
    await recordEndpointChanges(connection.model<EndpointEntity>('Endpoint'), [
      { endpointId: 'ep_9' },
    ]);
    const entries = await connection.collection(CHANGE_LOG).find({ documentId: 'ep_9' }).toArray();
    expect(entries).toEqual([
      { _id: expect.anything(), collection: 'endpoints', documentId: 'ep_9' },
    ]);
  });

  it('lets a follower of another collection join the open tail, at once', async () => {
    const ofEventTypes = followEventTypes();
    await ofEventTypes.whenReady();
    await addEventType('before.joining');

    const ofEndpoints = followEndpoints();
    expect(ofEndpoints.ready).toBe(true);
    await addEndpoint('ep_1');
    await addEventType('after.joining');

    await eventually(() => (ofEventTypes.changes.length === 2 ? true : undefined));
    await eventually(() => (ofEndpoints.changes.length === 1 ? true : undefined));
    expect(eventTypeNames(ofEventTypes)).toEqual(['before.joining', 'after.joining']);
    expect(await tailsOpen()).toBe(1);
  });

  it('gives a follower that comes while the last one leaves a tail of its own, unharmed', async () => {
    const leaving = followEventTypes();
    await leaving.whenReady();
    // The last follower goes: its tail closes. One that comes meanwhile opens another.
    const closing = open.pop()!.close();
    const coming = followEndpoints();
    await closing;
    await coming.whenReady();

    await addEndpoint('ep_1');
    await eventually(() => (coming.changes.length === 1 ? true : undefined));
    expect(coming.failures).toEqual([]);
    expect(await tailsOpen()).toBe(1);
  });

  it('reports nothing written before the tail opened', async () => {
    await addEventType('before.opening');
    const ofEventTypes = followEventTypes();
    await ofEventTypes.whenReady();
    await addEventType('after.opening');
    await eventually(() => (ofEventTypes.changes.length > 0 ? true : undefined));
    expect(eventTypeNames(ofEventTypes)).toEqual(['after.opening']);
  });

  it('has read to the end of the log once it reported the last change, and says so, never before', async () => {
    const listener = new Recorded<EndpointChange>();
    const tail = endpoints.watchChanges({
      ready: () => (listener.ready = true),
      changed: (change) => listener.changes.push(change),
      failed: (error) => listener.failures.push(error),
    });
    open.push(tail);
    expect(await tail.caughtUp()).toBe(false);
    await listener.whenReady();
    expect(await tail.caughtUp()).toBe(true);

    // Asked while the tail reads a backlog: a yes only once it has read (and reported) it all.
    const backlog = Array.from({ length: 500 }, (_, i) => ({ endpointId: `ep_${i}` }));
    await recordEndpointChanges(connection.model<EndpointEntity>('Endpoint'), backlog);
    const answers: { caughtUp: boolean; reported: number }[] = [];
    await eventually(
      async () => {
        const caughtUp = await tail.caughtUp();
        answers.push({ caughtUp, reported: listener.changes.length });
        return caughtUp ? true : undefined;
      },
      { intervalMs: 0 },
    );
    expect(answers.filter((answer) => answer.caughtUp && answer.reported !== 500)).toEqual([]);
    // Another collection's entry moves the tail on too: read, it leaves the tail at the end.
    await addEventType('order.paid');
    await eventually(async () => ((await tail.caughtUp()) ? true : undefined));
  });

  it('tells every follower when the log is dropped, and opens on a log made anew', async () => {
    const ofEndpoints = followEndpoints();
    const ofEventTypes = followEventTypes();
    await ofEndpoints.whenReady();
    await ofEventTypes.whenReady();

    await connection.db!.dropCollection(CHANGE_LOG);
    await eventually(() => (ofEndpoints.failures.length === 1 ? true : undefined));
    await eventually(() => (ofEventTypes.failures.length === 1 ? true : undefined));

    // A write after the drop makes the log as an ordinary collection: a tail makes it capped.
    await addEndpoint('ep_1');
    const again = followEndpoints();
    await again.whenReady();
    await addEndpoint('ep_2');
    await eventually(() => (again.changes.length === 1 ? true : undefined));
    expect(again.changes).toEqual([{ endpointId: 'ep_2', appId: 'app_a' }]);
  });
});
