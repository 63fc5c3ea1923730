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
  });
  await connection.asPromise();
  connection.model('App', appSchema, 'apps');
  connection.model('Endpoint', endpointSchema, 'endpoints');
  connection.model('Message', messageSchema, 'messages');
  connection.model('Delivery', deliverySchema, 'deliveries');
  connection.model('Attempt', attemptSchema, 'attempts');
  await Promise.all(Object.values(connection.models).map((model) => model.createIndexes()));
  return connection;
}

@Injectable()
export class MongoHealth implements OnApplicationShutdown {
  constructor(@Inject(MONGO_CONNECTION) private readonly connection: Connection) {}

  async isUp(): Promise<boolean> {
    try {
      await this.connection.db?.admin().ping({ maxTimeMS: 2_000 });
      return true;
    } catch {
      return false;
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
