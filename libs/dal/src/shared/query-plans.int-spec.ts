import type { DeliveryStatus } from '@app/contracts';
import type { CommandStartedEvent, Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { AppRepository } from '../apps/app.repository';
import type { AttemptEntity } from '../attempts/attempt.entity';
import { AttemptRepository } from '../attempts/attempt.repository';
import { openConnection } from '../connection';
import { encodeSequenceCursor } from './cursor';
import { DeliveryClaimRepository } from '../deliveries/delivery-claim.repository';
import { DeliveryRedeliveryRepository } from '../deliveries/delivery-redelivery.repository';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { DeliveryRepository } from '../deliveries/delivery.repository';
import { EndpointCircuitRepository } from '../endpoints/endpoint-circuit.repository';
import { EndpointHealthRepository } from '../endpoints/endpoint-health.repository';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import { EndpointRepository } from '../endpoints/endpoint.repository';
import { EventTypeRepository } from '../event-types/event-type.repository';
import { InboxRepository } from '../inbox/inbox.repository';
import type { MessageEntity } from '../messages/message.entity';
import { MessageRepository } from '../messages/message.repository';
import { StatusRefreshRepository } from '../messages/status-refresh.repository';
import { newDelivery } from '../deliveries/new-delivery';
import type { OrderingKeyEntity } from '../ordering/ordering-key.entity';
import { OrderingKeyRepository } from '../ordering/ordering-key.repository';
import { RateLimitRepository } from '../rate-limits/rate-limit.repository';
import { RetentionRepository } from '../retention/retention.repository';

/**
 * Every query the repositories send is explained by the real MongoDB, and none may scan a whole
 * collection: each call below runs against a seeded database while the driver reports the
 * commands it sends; each find, aggregate, count, update, delete and findAndModify among them is
 * explained, and its winning plan must not contain a COLLSCAN.
 */

const T0 = new Date('2026-11-26T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const APP = 'app_plans';
const OWNER = { appId: APP, endpointId: 'ep_0' };
const WINDOW = { since: at(-60_000), until: at(60_000) };
const EXPLAINED = new Set([
  'find',
  'aggregate',
  'count',
  'distinct',
  'update',
  'delete',
  'findAndModify',
]);
/** Session and transaction fields an explain of the same command must not carry. */
const SESSION_FIELDS = [
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  '$clusterTime',
  '$db',
  'readConcern',
  'writeConcern',
];

function endpoint(i: number): EndpointEntity {
  return {
    _id: `ep_${i}`,
    appId: APP,
    channel: 'webhook',
    url: `https://example.com/hook/${i}`,
    eventTypes: ['*'],
    timeoutMs: 10_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [],
    recipientTokenHash: `token_${i}`,
    createdAt: at(i),
    updatedAt: at(i),
  };
}

function message(i: number): MessageEntity {
  return {
    _id: `msg_${i}`,
    appId: APP,
    eventType: i % 2 === 0 ? 'order.paid' : 'order.shipped',
    payload: { i },
    ...(i % 3 === 0 ? { idempotencyKey: `key_${i}` } : {}),
    targetEndpointIds: ['ep_0', 'ep_1'],
    status: 'pending',
    createdAt: at(i),
  };
}

const STATUSES: DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

function delivery(i: number, endpointIndex: number): DeliveryEntity {
  const status = STATUSES[i % STATUSES.length]!;
  return {
    _id: `dlv_${i}_${endpointIndex}`,
    appId: APP,
    messageId: `msg_${i}`,
    endpointId: `ep_${endpointIndex}`,
    channel: 'webhook',
    status,
    attemptCount: status === 'pending' ? 0 : 1,
    nextAttemptAt: status === 'pending' ? at(i * 10) : null,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: null,
    createdAt: at(i),
    updatedAt: at(i),
  };
}

function attempt(i: number): AttemptEntity {
  return {
    _id: `att_${i}`,
    appId: APP,
    messageId: `msg_${i}`,
    deliveryId: `dlv_${i}_0`,
    endpointId: 'ep_0',
    attempt: 1,
    startedAt: at(i),
    durationMs: 5,
    outcome: 'failed',
    statusCode: 500,
  };
}

/**
 * Calls whose queries of a collection by status must be served by a partial index, by name: a
 * partial filter that stopped covering one of them would leave it to another index, no COLLSCAN.
 */
const PARTIAL_INDEX_OF: Record<string, { collection: string; index: string }> = {
  'deliveries.postponeDueForEndpoint': { collection: 'deliveries', index: 'open_by_endpoint' },
  'redeliveries.countFailedBetween': { collection: 'deliveries', index: 'failed_by_endpoint' },
  'redeliveries.rescheduleFailedBetween': { collection: 'deliveries', index: 'failed_by_endpoint' },
  'deliveries.cancelPendingForEndpoint': { collection: 'deliveries', index: 'open_by_endpoint' },
  'inbox.page by status': { collection: 'deliveries', index: 'inbox_by_status' },
  'retention.removeEnded': { collection: 'messages', index: 'ended_by_age' },
};

/** The winning plans anywhere in an explain result (aggregations nest them per stage). */
function winningPlans(node: unknown): unknown[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'winningPlan' ? [value] : winningPlans(value),
  );
}

/** One explainable command per statement: explain takes a single update or delete. */
function explainable(event: CommandStartedEvent): Document[] {
  const command: Document = { ...event.command };
  for (const field of SESSION_FIELDS) delete command[field];
  switch (event.commandName) {
    case 'update':
      return (command.updates as Document[]).map((statement) => ({
        update: command.update as string,
        updates: [statement],
      }));
    case 'delete':
      return (command.deletes as Document[]).map((statement) => ({
        delete: command.delete as string,
        deletes: [statement],
      }));
    case 'aggregate': {
      // $merge and $out write: what is explained is how the documents are found.
      const pipeline = command.pipeline as Document[];
      const writes = pipeline.findIndex((stage) => '$merge' in stage || '$out' in stage);
      return [{ ...command, pipeline: writes < 0 ? pipeline : pipeline.slice(0, writes) }];
    }
    default:
      return [command];
  }
}

/** A command on `collection` whose filter names a status (the inbox's position search does not). */
function readsByStatus(command: Document, collection: string): boolean {
  const filter = (command.filter ??
    command.query ??
    (command.updates as Document[] | undefined)?.[0]?.q ??
    (command.pipeline as Document[] | undefined)?.[0]?.$match) as Document | undefined;
  return Object.values(command)[0] === collection && filter !== undefined && 'status' in filter;
}

describe('every repository query uses an index (explain on the real MongoDB)', () => {
  let connection: Connection;
  let sent: CommandStartedEvent[] = [];

  const repositories = () => {
    const model = <T>(name: string) => connection.model<T>(name);
    const deliveries = model<DeliveryEntity>('Delivery');
    return {
      apps: new AppRepository(model('App')),
      endpoints: new EndpointRepository(model('Endpoint')),
      eventTypes: new EventTypeRepository(model('EventType')),
      circuits: new EndpointCircuitRepository(model('Endpoint')),
      health: new EndpointHealthRepository(model('Endpoint')),
      messages: new MessageRepository(model('Message'), deliveries),
      deliveries: new DeliveryRepository(deliveries),
      deliveryClaims: new DeliveryClaimRepository(deliveries),
      redeliveries: new DeliveryRedeliveryRepository(deliveries),
      attempts: new AttemptRepository(model('Attempt'), model('Message')),
      inbox: new InboxRepository(deliveries, model('InboxSequence')),
      rateLimits: new RateLimitRepository(model('RateWindow')),
      retention: new RetentionRepository(model('Message'), deliveries, model('Attempt')),
      orderingKeys: new OrderingKeyRepository(model<OrderingKeyEntity>('OrderingKey'), deliveries),
      statusRefreshes: new StatusRefreshRepository(model('StatusRefresh')),
    };
  };
  let repo: ReturnType<typeof repositories>;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_plans'), { monitorCommands: true });
    repo = repositories();
    await repo.apps.create({ _id: APP, name: 'plans', apiKeyHash: 'hash', createdAt: T0 });
    for (let i = 0; i < 3; i++) await repo.endpoints.create(endpoint(i));
    const ids = Array.from({ length: 300 }, (_, i) => i);
    await repo.messages.insertMany(ids.map(message));
    await repo.deliveries.insertMany(ids.flatMap((i) => [delivery(i, 0), delivery(i, 1)]));
    await repo.attempts.insertMany(ids.map(attempt));
    await repo.statusRefreshes.owe({ _id: 'w:1', messageIds: ['msg_0'] }, T0);
    connection.getClient().on('commandStarted', (event: CommandStartedEvent) => sent.push(event));
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  const calls: [string, () => Promise<unknown>][] = [
    [
      'orderingKeys.handOnKeys',
      async () => {
        const keys = ['order-a', 'order-b'];
        for (const key of keys) {
          const sequence = await repo.orderingKeys.number({ ...OWNER, key }, 1, at(0));
          const endpoint = { _id: OWNER.endpointId, channel: 'webhook' as const };
          const ordering = { key, sequence };
          await repo.deliveries.insertMany([
            newDelivery({ appId: APP, messageId: `msg_${key}`, endpoint, ordering }, at(0)),
          ]);
        }
        const refs = keys.map((key) => ({ endpointId: OWNER.endpointId, key }));
        expect(await repo.orderingKeys.handOnKeys(refs, at(1))).toHaveLength(2);
      },
    ],
    ['apps.findByApiKeyHash', () => repo.apps.findByApiKeyHash('hash', at(1))],
    ['apps.rotateApiKey', () => repo.apps.rotateApiKey(APP, 'hash', at(1))],
    ['apps.findExistingIds', () => repo.apps.findExistingIds([APP])],
    ['apps.list', () => repo.apps.list({ limit: 50 })],
    ['endpoints.findById', () => repo.endpoints.findById(APP, 'ep_1')],
    ['endpoints.findManyOfApp', () => repo.endpoints.findManyOfApp(APP, ['ep_1', 'ep_2'])],
    [
      'endpoints.findByRecipientTokenHash',
      () => repo.endpoints.findByRecipientTokenHash('token_1'),
    ],
    ['endpoints.list', () => repo.endpoints.list(APP, { limit: 50 })],
    ['endpoints.findByApps', () => repo.endpoints.findByApps([APP])],
    ['endpoints.findByIds', () => repo.endpoints.findByIds(['ep_0', 'ep_1'])],
    [
      'endpoints.updateSettings',
      () =>
        repo.endpoints.updateSettings(
          APP,
          'ep_2',
          { description: 'x' },
          { now: at(1), freshHealth: true },
        ),
    ],
    [
      'endpoints.replaceRecipientToken',
      () => repo.endpoints.replaceRecipientToken(APP, 'ep_2', 'token_2b', at(1)),
    ],
    [
      'endpoints.replaceSecrets',
      () =>
        repo.endpoints.replaceSecrets(APP, 'ep_2', 'whsec_x', [], at(1), {
          max: 10,
          windowMs: 60_000,
        }),
    ],
    [
      'health.record',
      () =>
        repo.health.record(
          [
            {
              endpointId: 'ep_0',
              lastFailureAt: at(1),
              streak: { kind: 'extended', failures: 1, from: at(1) },
              closeCircuit: false,
            },
          ],
          { writer: 'w_plan', batch: 1 },
        ),
    ],
    ['circuits.findStates', () => repo.circuits.findStates(['ep_0'])],
    [
      'circuits.write',
      () =>
        repo.circuits.write([
          { kind: 'open', endpointId: 'ep_0', until: at(101), openings: 1, seen: {} },
        ]),
    ],
    ['circuits.acquireProbe', () => repo.circuits.acquireProbe('ep_0', at(200), at(300))],
    ['rateLimits.take', () => repo.rateLimits.take('ep_0', 10, 2, at(0))],
    ['messages.findById', () => repo.messages.findById(APP, 'msg_1')],
    ['messages.findManyOfApp', () => repo.messages.findManyOfApp(APP, ['msg_1', 'msg_2'])],
    [
      'messages.findByIds',
      () =>
        repo.messages.findByIds([
          { appId: APP, id: 'msg_1' },
          { appId: APP, id: 'msg_2' },
        ]),
    ],
    [
      'messages.findByIds of two apps',
      () =>
        repo.messages.findByIds([
          { appId: APP, id: 'msg_1' },
          { appId: 'app_other', id: 'msg_2' },
        ]),
    ],
    ['messages.list', () => repo.messages.list(APP, {}, { limit: 50 })],
    [
      'messages.list by eventType',
      () => repo.messages.list(APP, { eventType: 'order.paid' }, { limit: 50 }),
    ],
    ['messages.list by status', () => repo.messages.list(APP, { status: 'failed' }, { limit: 50 })],
    [
      'messages.list by endpoint',
      () => repo.messages.list(APP, { endpointId: 'ep_1' }, { limit: 50 }),
    ],
    ['messages.list in a window', () => repo.messages.list(APP, WINDOW, { limit: 50 })],
    [
      'messages.addTargets',
      () => repo.messages.addTargets([{ messageId: 'msg_1', endpointId: 'ep_2' }]),
    ],
    ['messages.refreshStatus', () => repo.messages.refreshStatus(APP, ['msg_1', 'msg_2'])],
    ['deliveries.findByMessage', () => repo.deliveries.findByMessage(APP, 'msg_1')],
    ['deliveries.findById', () => repo.deliveries.findById(APP, 'dlv_1_0')],
    ['deliveries.findFailed', () => repo.deliveries.findFailed(['dlv_2_0', 'dlv_3_0'])],
    ['deliveries.countDue', () => repo.deliveries.countDue(at(1_000))],
    [
      'deliveryClaims.claimDue',
      () =>
        repo.deliveryClaims.claimDue({
          now: at(1_000),
          limit: 20,
          claimToken: 'claim_1',
          leaseUntil: at(90_000),
          excludeEndpointIds: ['ep_2'],
        }),
    ],
    [
      'deliveryClaims.claimDue for apps with room, from one on',
      () =>
        repo.deliveryClaims.claimDue({
          now: at(2_000),
          limit: 20,
          claimToken: 'claim_2',
          leaseUntil: at(90_000),
          excludeAppIds: ['app_full'],
          roomForApp: () => 5,
          startAfterApp: 'app_a',
          pick: (candidates) => candidates.slice(0, 3),
        }),
    ],
    [
      'deliveryClaims.claimDue in one read',
      () =>
        repo.deliveryClaims.claimDue({
          now: at(2_000),
          limit: 20,
          claimToken: 'claim_3',
          leaseUntil: at(90_000),
          excludeAppIds: ['app_full'],
          excludeEndpointIds: ['ep_2'],
          oneRead: true,
          pick: () => [],
        }),
    ],
    [
      'deliveries.recordOutcomes',
      () =>
        repo.deliveries.recordOutcomes([
          {
            deliveryId: 'dlv_0_0',
            claimToken: 'claim_1',
            update: {
              status: 'succeeded',
              attemptCount: 1,
              nextAttemptAt: null,
              lastAttemptAt: at(1_000),
              lastError: null,
              deliveredAt: at(1_001),
              updatedAt: at(1_001),
            },
          },
        ]),
    ],
    [
      'deliveries.postpone',
      () => repo.deliveries.postpone([{ deliveryId: 'dlv_3_0', dueAt: at(5_000) }], 'claim_1'),
    ],
    [
      'deliveries.postponeDueForEndpoint',
      () => repo.deliveries.postponeDueForEndpoint('ep_1', at(10_000), 1_000),
    ],
    [
      'redeliveries.countFailedBetween',
      () => repo.redeliveries.countFailedBetween(APP, 'ep_0', WINDOW),
    ],
    [
      'redeliveries.rescheduleFailedBetween',
      () => repo.redeliveries.rescheduleFailedBetween(APP, 'ep_0', WINDOW, at(2_000)),
    ],
    [
      'redeliveries.reschedule a message',
      () => repo.redeliveries.reschedule(APP, { messageId: 'msg_4' }, at(2_000)),
    ],
    [
      'redeliveries.reschedule a delivery',
      () => repo.redeliveries.reschedule(APP, { deliveryId: 'dlv_5_0' }, at(2_000)),
    ],
    ['statusRefreshes.findLeftBefore', () => repo.statusRefreshes.findLeftBefore(at(5_000), 500)],
    [
      'statusRefreshes.settle',
      () => repo.statusRefreshes.settle([{ _id: 'w:1', messageIds: ['msg_0'], writtenAt: T0 }]),
    ],
    [
      'messages.refreshStatusAfterOutcomes',
      () => repo.messages.refreshStatusAfterOutcomes(['msg_0', 'msg_1']),
    ],
    ['attempts.listByMessage', () => repo.attempts.listByMessage(APP, 'msg_1', { limit: 50 })],
    [
      'attempts.listByMessage after a cursor',
      () =>
        repo.attempts.listByMessage(APP, 'msg_1', { limit: 50, cursor: encodeSequenceCursor(1) }),
    ],
    ['inbox.page', () => repo.inbox.page(OWNER, { afterSeq: 0, limit: 50 })],
    [
      'inbox.page by status',
      () => repo.inbox.page(OWNER, { afterSeq: 0, limit: 50, status: 'failed' }),
    ],
    [
      'inbox.page since a time',
      () => repo.inbox.page(OWNER, { afterSeq: 0, limit: 50, since: at(-1_000) }),
    ],
    ['inbox.findByMessage', () => repo.inbox.findByMessage(OWNER, 'msg_5')],
    ['inbox.acknowledge', () => repo.inbox.acknowledge(OWNER, 'msg_6', at(3_000))],
    [
      'deliveries.cancelPendingForEndpoint',
      () => repo.deliveries.cancelPendingForEndpoint(APP, 'ep_1', at(4_000)),
    ],
    ['endpoints.delete', () => repo.endpoints.delete(APP, 'ep_2')],
    ['apps.findById', () => repo.apps.findById(APP)],
    ['apps.findLimits', () => repo.apps.findLimits([APP])],
    ['apps.updateSettings', () => repo.apps.updateSettings(APP, { quotas: { endpoints: 5 } })],
    ['endpoints.countOfApp', () => repo.endpoints.countOfApp(APP)],
    ['eventTypes.put', () => repo.eventTypes.put(APP, 'order.paid', { deprecated: false }, at(0))],
    ['eventTypes.findOne', () => repo.eventTypes.findOne(APP, 'order.paid')],
    [
      'eventTypes.findMany',
      () =>
        repo.eventTypes.findMany([
          { appId: APP, name: 'order.paid' },
          { appId: 'app_other', name: 'order.paid' },
        ]),
    ],
    ['eventTypes.countRegistered', () => repo.eventTypes.countRegistered(APP)],
    ['eventTypes.list', () => repo.eventTypes.list(APP, { limit: 50 })],
    ['eventTypes.archive', () => repo.eventTypes.archive(APP, 'order.paid', at(1))],
    ['rateLimits.take an hour', () => repo.rateLimits.take('sms:app', 10, 2, at(0), 3_600_000)],
    ['rateLimits.pace', () => repo.rateLimits.pace('intake:app', 10, 20, at(0))],
    [
      'retention.removeEnded',
      async () => {
        const ended = ['msg_298', 'msg_299'];
        await connection
          .model('Message')
          .updateMany({ _id: { $in: ended } }, { status: 'delivered' });
        await connection
          .model('Delivery')
          .updateMany({ messageId: { $in: ended } }, { status: 'succeeded' });
        await repo.retention.removeEnded(at(3_600_000), 100);
        expect(await repo.messages.findByIds(ended.map((id) => ({ appId: APP, id })))).toEqual([]);
      },
    ],
  ];

  it.each(calls)('%s', async (name, call) => {
    sent = [];
    await call();
    const commands = sent.filter((event) => EXPLAINED.has(event.commandName));
    expect(commands.length).toBeGreaterThan(0);
    for (const event of commands) {
      for (const command of explainable(event)) {
        const explained = await connection.db!.command({
          explain: command,
          verbosity: 'queryPlanner',
        });
        const plans = winningPlans(explained);
        expect(plans.length).toBeGreaterThan(0);
        const scans = plans.filter((plan) => JSON.stringify(plan).includes('"COLLSCAN"'));
        expect({ command, scans }).toEqual({ command, scans: [] });
        const partial = PARTIAL_INDEX_OF[name];
        if (partial !== undefined && readsByStatus(command, partial.collection)) {
          const elsewhere = plans.filter(
            (plan) => !JSON.stringify(plan).includes(`"indexName":"${partial.index}"`),
          );
          expect({ command, elsewhere }).toEqual({ command, elsewhere: [] });
        }
      }
    }
  });
});
