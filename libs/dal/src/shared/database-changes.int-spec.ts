import { ConnectionString } from 'mongodb-connection-string-url';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { changeStreamCursors } from '../../../../test/support/change-streams';
import { eventually } from '../../../../test/support/eventually';
import { openConnection } from '../connection';
import type { EndpointChange } from '../endpoints/endpoint-changes';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import { EndpointRepository } from '../endpoints/endpoint.repository';
import type { EventTypeChange } from '../event-types/event-type-changes';
import type { EventTypeEntity } from '../event-types/event-type.entity';
import { EventTypeRepository } from '../event-types/event-type.repository';
import type { ChangeListener } from './watch-changes';

/** What a follower was told, in order. */
class Recorded<C> {
  ready = false;
  changes: C[] = [];
  failures: unknown[] = [];

  whenReady(): Promise<true> {
    return eventually(() => (this.ready ? true : undefined), { what: 'the stream to open' });
  }
}

describe('DatabaseChanges: one change stream for every collection followed (real MongoDB)', () => {
  let connection: Connection;
  let endpoints: EndpointRepository;
  let eventTypes: EventTypeRepository;
  const open: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    // eslint-disable-next-line no-restricted-properties -- the e2e global setup provides the test MongoDB
    const url = new ConnectionString(process.env.MONGODB_URI!);
    url.pathname = `/test_database_changes_${randomBytes(4).toString('hex')}`;
    connection = await openConnection(url.toString());
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

  // Only what a follower reads of a created document: its id and app (and an event type's name).
  const addEndpoint = (id: string) =>
    connection
      .model<EndpointEntity>('Endpoint')
      .collection.insertOne({ _id: id, appId: 'app_a' } as never);
  const addEventType = (id: string) =>
    connection
      .model<EventTypeEntity>('EventType')
      .collection.insertOne({ _id: id, appId: 'app_a', name: id } as never);

  /** The change streams open on this test's database, as the server counts them. */
  const streamsOpen = async () => (await changeStreamCursors(connection)).length;

  it('follows endpoints and event types on one stream, each told only of its own collection', async () => {
    const ofEndpoints = followEndpoints();
    const ofEventTypes = followEventTypes();
    await ofEndpoints.whenReady();
    await ofEventTypes.whenReady();
    expect(await streamsOpen()).toBe(1);

    await addEndpoint('ep_1');
    await addEventType('order.paid');
    await eventually(() => (ofEventTypes.changes.length > 0 ? true : undefined));
    await eventually(() => (ofEndpoints.changes.length > 0 ? true : undefined));
    expect(ofEndpoints.changes).toEqual([{ endpointId: 'ep_1', appId: 'app_a' }]);
    expect(ofEventTypes.changes).toEqual([
      { eventTypeId: 'order.paid', appId: 'app_a', name: 'order.paid' },
    ]);
  });

  it('lets a follower of another collection join the open stream, at once', async () => {
    const ofEventTypes = followEventTypes();
    await ofEventTypes.whenReady();
    await addEventType('before.joining');

    const ofEndpoints = followEndpoints();
    expect(ofEndpoints.ready).toBe(true);
    await addEndpoint('ep_1');
    await addEventType('after.joining');

    await eventually(() => (ofEventTypes.changes.length === 2 ? true : undefined));
    await eventually(() => (ofEndpoints.changes.length === 1 ? true : undefined));
    expect(ofEventTypes.changes.map((change) => change.eventTypeId)).toEqual([
      'before.joining',
      'after.joining',
    ]);
    expect(await streamsOpen()).toBe(1);
  });

  it('gives a follower that comes while the last one leaves a stream of its own, unharmed', async () => {
    const leaving = followEventTypes();
    await leaving.whenReady();
    // The last follower goes: its stream closes. One that comes meanwhile opens another.
    const closing = open.pop()!.close();
    const coming = followEndpoints();
    await closing;
    await coming.whenReady();

    await addEndpoint('ep_1');
    await eventually(() => (coming.changes.length === 1 ? true : undefined));
    expect(coming.failures).toEqual([]);
    expect(await streamsOpen()).toBe(1);
  });

  it('tells the followers of a dropped collection, and goes on for the others', async () => {
    const ofEndpoints = followEndpoints();
    const ofEventTypes = followEventTypes();
    await addEventType('order.paid');
    await ofEndpoints.whenReady();
    await ofEventTypes.whenReady();

    await connection.db!.dropCollection('event_types');
    await eventually(() => (ofEventTypes.failures.length === 1 ? true : undefined));
    await addEndpoint('ep_1');
    await eventually(() => (ofEndpoints.changes.length === 1 ? true : undefined));
    expect(ofEndpoints.failures).toEqual([]);
  });
});
