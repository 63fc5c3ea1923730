import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { createConnection, type Connection } from 'mongoose';
import type { AppEntity } from './apps/app.entity';
import { AppRepository } from './apps/app.repository';
import type { AttemptEntity } from './attempts/attempt.entity';
import type { DeliveryEntity } from './deliveries/delivery.entity';
import type { EndpointEntity } from './endpoints/endpoint.entity';
import type { MessageEntity } from './messages/message.entity';
import { appSchema } from './apps/app.schema';
import { AttemptRepository } from './attempts/attempt.repository';
import { attemptSchema } from './attempts/attempt.schema';
import { DeliveryRepository } from './deliveries/delivery.repository';
import { deliverySchema } from './deliveries/delivery.schema';
import { EndpointRepository } from './endpoints/endpoint.repository';
import { endpointSchema } from './endpoints/endpoint.schema';
import { MessageRepository } from './messages/message.repository';
import { messageSchema } from './messages/message.schema';

export interface DalOptions {
  uri: string;
}

export const MONGO_CONNECTION = Symbol('MONGO_CONNECTION');

async function connect(options: DalOptions): Promise<Connection> {
  const connection = createConnection(options.uri, {
    // Fail fast instead of queueing: callers answer 503 or stop acknowledging intake.
    bufferCommands: false,
    serverSelectionTimeoutMS: 5_000,
    maxPoolSize: 50,
    // Collections and indexes are created below, one at a time: mongod under wine (the local
    // fallback, ADR 0003) can deadlock when one collection is created by two operations at once.
    autoCreate: false,
    autoIndex: false,
  });
  await connection.asPromise();
  connection.model('App', appSchema, 'apps');
  connection.model('Endpoint', endpointSchema, 'endpoints');
  connection.model('Message', messageSchema, 'messages');
  connection.model('Delivery', deliverySchema, 'deliveries');
  connection.model('Attempt', attemptSchema, 'attempts');
  const existing = new Set((await connection.listCollections()).map((c) => c.name));
  for (const model of Object.values(connection.models)) {
    if (!existing.has(model.collection.collectionName)) {
      await model.createCollection().catch(ignoreNamespaceExists);
    }
    await model.createIndexes();
  }
  return connection;
}

/** Another process created the collection first: fine. */
function ignoreNamespaceExists(error: unknown): void {
  if ((error as { codeName?: string }).codeName !== 'NamespaceExists') throw error;
}

@Injectable()
export class MongoHealth implements OnApplicationShutdown {
  constructor(@Inject(MONGO_CONNECTION) private readonly connection: Connection) {}

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
  repository(
    EndpointRepository,
    (c) => new EndpointRepository(c.model<EndpointEntity>('Endpoint')),
  ),
  repository(
    MessageRepository,
    (c) =>
      new MessageRepository(c.model<MessageEntity>('Message'), c.model<DeliveryEntity>('Delivery')),
  ),
  repository(
    DeliveryRepository,
    (c) => new DeliveryRepository(c.model<DeliveryEntity>('Delivery')),
  ),
  repository(AttemptRepository, (c) => new AttemptRepository(c.model<AttemptEntity>('Attempt'))),
];

@Module({})
export class DalModule {
  static forRoot(options: DalOptions): DynamicModule {
    return {
      module: DalModule,
      global: true,
      providers: [
        { provide: MONGO_CONNECTION, useFactory: () => connect(options) },
        MongoHealth,
        ...repositories,
      ],
      exports: [MONGO_CONNECTION, MongoHealth, ...repositories.map((r) => r.provide)],
    };
  }
}
