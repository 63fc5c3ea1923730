import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Connection } from 'mongoose';
import { SecretBox } from '@app/common';
import type { AppEntity } from './apps/app.entity';
import { AppRepository } from './apps/app.repository';
import { openConnection } from './connection';
import type { AttemptEntity } from './attempts/attempt.entity';
import type { DeliveryEntity } from './deliveries/delivery.entity';
import type { RefusedDeadLetterEntity } from './dead-letters/refused-dead-letter.entity';
import { RefusedDeadLetterRepository } from './dead-letters/refused-dead-letter.repository';
import type { EndpointEntity } from './endpoints/endpoint.entity';
import type { MessageEntity } from './messages/message.entity';
import type { OrderingKeyEntity } from './ordering/ordering-key.entity';
import { OrderingKeyRepository } from './ordering/ordering-key.repository';
import { AttemptRepository } from './attempts/attempt.repository';
import { DeliveryClaimRepository } from './deliveries/delivery-claim.repository';
import { DeliveryRedeliveryRepository } from './deliveries/delivery-redelivery.repository';
import { DeliveryRepository } from './deliveries/delivery.repository';
import { EndpointCircuitRepository } from './endpoints/endpoint-circuit.repository';
import { EndpointHealthRepository } from './endpoints/endpoint-health.repository';
import { EndpointRepository } from './endpoints/endpoint.repository';
import type { EventTypeEntity } from './event-types/event-type.entity';
import { EventTypeRepository } from './event-types/event-type.repository';
import { InboxRepository } from './inbox/inbox.repository';
import type { InboxSequenceEntity } from './inbox/inbox-sequence.schema';
import { MessageRepository } from './messages/message.repository';
import type { StatusRefreshEntity } from './messages/status-refresh.entity';
import { StatusRefreshRepository } from './messages/status-refresh.repository';
import { RateLimitRepository } from './rate-limits/rate-limit.repository';
import type { RateWindowEntity } from './rate-limits/rate-window.schema';
import { RetentionRepository } from './retention/retention.repository';

export interface DalOptions {
  uri: string;
  /**
   * SECRETS_KEY (32 bytes): webhook signing secrets are encrypted with it at rest. Both the API
   * and every notifier must use the same one. Without it secrets are stored as given.
   */
  secretsKey?: Buffer;
}

export const MONGO_CONNECTION = Symbol('MONGO_CONNECTION');
/** The SecretBox built from DalOptions.secretsKey, or null. */
export const SECRET_BOX = Symbol('SECRET_BOX');

async function connect(options: DalOptions): Promise<Connection> {
  const connection = await openConnection(options.uri);
  if (options.secretsKey !== undefined) {
    await checkSecretsKey(connection, new SecretBox(options.secretsKey));
  }
  return connection;
}

/**
 * Refuses to start with a SECRETS_KEY that cannot read the secrets already stored: better a
 * clear boot error than every delivery failing to sign. Any one sealed secret tells.
 */
async function checkSecretsKey(connection: Connection, box: SecretBox): Promise<void> {
  const sample = await connection
    .collection<{ secrets?: { secret: string }[] }>('endpoints')
    .findOne(
      { 'secrets.secret': { $regex: `^${SecretBox.PREFIX}` } },
      { projection: { secrets: 1 } },
    );
  const sealed = sample?.secrets?.find((entry) => SecretBox.isSealed(entry.secret));
  if (sealed === undefined) return;
  try {
    box.open(sealed.secret);
  } catch {
    await connection.close();
    throw new Error(
      'SECRETS_KEY: is not the key the stored webhook secrets were encrypted with; start with the original key',
    );
  }
}

@Injectable()
export class MongoHealth implements OnApplicationShutdown {
  /** Connected means a primary answered moments ago (the indexes were built); then the driver says. */
  private primaryKnown = true;
  private readableKnown = true;

  constructor(@Inject(MONGO_CONNECTION) private readonly connection: Connection) {
    // The driver's own monitoring: no round trip, and it knows of an election as soon as a
    // member or an operation reports one (within heartbeatFrequencyMS, 10 s, when silent).
    connection.getClient().on('topologyDescriptionChanged', ({ newDescription }) => {
      const servers = [...newDescription.servers.values()];
      this.primaryKnown = servers.some((server) => server.isWritable);
      this.readableKnown = servers.some((server) => server.isReadable);
    });
  }

  /** A primary (or a standalone server) is known: writes go through without waiting. */
  get hasPrimary(): boolean {
    return this.primaryKnown;
  }

  /** Some member (a primary or a secondary) answers reads that allow a secondary. */
  get isReadable(): boolean {
    return this.readableKnown;
  }

  /** Ready to serve: a primary is known and answers a ping within `timeoutMs`. */
  async isReady(timeoutMs?: number): Promise<boolean> {
    return this.primaryKnown && (await this.isUp(timeoutMs));
  }

  /** Answers within `timeoutMs` even when the server is unreachable (the driver would wait 5 s). */
  async isUp(timeoutMs = 1_500): Promise<boolean> {
    const db = this.connection.db;
    if (db === undefined) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ping = db
      .admin()
      .ping()
      .then(() => true)
      .catch(() => false);
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

function repository<T>(provide: abstract new (...args: never[]) => T, make: (c: Connection) => T) {
  return { provide, useFactory: make, inject: [MONGO_CONNECTION] };
}

const repositories = [
  repository(AppRepository, (c) => new AppRepository(c.model<AppEntity>('App'))),
  {
    provide: EndpointRepository,
    useFactory: (c: Connection, box: SecretBox | null) =>
      new EndpointRepository(c.model<EndpointEntity>('Endpoint'), box ?? undefined),
    inject: [MONGO_CONNECTION, SECRET_BOX],
  },
  repository(
    EndpointCircuitRepository,
    (c) => new EndpointCircuitRepository(c.model<EndpointEntity>('Endpoint')),
  ),
  repository(
    EndpointHealthRepository,
    (c) => new EndpointHealthRepository(c.model<EndpointEntity>('Endpoint')),
  ),
  repository(
    EventTypeRepository,
    (c) => new EventTypeRepository(c.model<EventTypeEntity>('EventType')),
  ),
  repository(
    RateLimitRepository,
    (c) => new RateLimitRepository(c.model<RateWindowEntity>('RateWindow')),
  ),
  repository(
    MessageRepository,
    (c) =>
      new MessageRepository(c.model<MessageEntity>('Message'), c.model<DeliveryEntity>('Delivery')),
  ),
  repository(
    StatusRefreshRepository,
    (c) => new StatusRefreshRepository(c.model<StatusRefreshEntity>('StatusRefresh')),
  ),
  repository(
    DeliveryRepository,
    (c) => new DeliveryRepository(c.model<DeliveryEntity>('Delivery')),
  ),
  repository(
    DeliveryClaimRepository,
    (c) => new DeliveryClaimRepository(c.model<DeliveryEntity>('Delivery')),
  ),
  repository(
    DeliveryRedeliveryRepository,
    (c) => new DeliveryRedeliveryRepository(c.model<DeliveryEntity>('Delivery')),
  ),
  repository(
    OrderingKeyRepository,
    (c) =>
      new OrderingKeyRepository(
        c.model<OrderingKeyEntity>('OrderingKey'),
        c.model<DeliveryEntity>('Delivery'),
      ),
  ),
  repository(
    RefusedDeadLetterRepository,
    (c) => new RefusedDeadLetterRepository(c.model<RefusedDeadLetterEntity>('RefusedDeadLetter')),
  ),
  repository(
    AttemptRepository,
    (c) =>
      new AttemptRepository(c.model<AttemptEntity>('Attempt'), c.model<MessageEntity>('Message')),
  ),
  repository(
    RetentionRepository,
    (c) =>
      new RetentionRepository(
        c.model<MessageEntity>('Message'),
        c.model<DeliveryEntity>('Delivery'),
        c.model<AttemptEntity>('Attempt'),
      ),
  ),
  repository(
    InboxRepository,
    (c) =>
      new InboxRepository(
        c.model<DeliveryEntity>('Delivery'),
        c.model<InboxSequenceEntity>('InboxSequence'),
      ),
  ),
];

@Module({})
export class DalModule {
  static forRoot(options: DalOptions): DynamicModule {
    return {
      module: DalModule,
      global: true,
      providers: [
        { provide: MONGO_CONNECTION, useFactory: () => connect(options) },
        {
          provide: SECRET_BOX,
          useFactory: () =>
            options.secretsKey === undefined ? null : new SecretBox(options.secretsKey),
        },
        MongoHealth,
        ...repositories,
      ],
      exports: [MONGO_CONNECTION, MongoHealth, ...repositories.map((r) => r.provide)],
    };
  }
}
