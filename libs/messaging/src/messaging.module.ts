import { DynamicModule, Module, OnApplicationShutdown, Injectable } from '@nestjs/common';
import { AmqpConnection } from './amqp-connection';
import { ConfirmPublisher } from './confirm-publisher';
import { assertTopology } from './topology';

export interface MessagingOptions {
  /** AMQP_URL: the brokers of one cluster, tried in order (AmqpConnection). */
  urls: readonly string[];
  /** Names the connection in the broker's UI and in logs. */
  name: string;
  publishTimeoutMs: number;
}

@Injectable()
export class MessagingLifecycle implements OnApplicationShutdown {
  constructor(private readonly connection: AmqpConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

/**
 * Provides one self-healing AMQP connection with the topology declared on every connect, and a
 * confirm-channel publisher. Boot does not wait for the broker: until it is reachable, publishing
 * fails fast (the API answers 503) and consumers start when it comes.
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        {
          provide: AmqpConnection,
          useFactory: async () => {
            const connection = new AmqpConnection(options.urls, options.name);
            await connection.onConnected(assertTopology);
            void connection.start();
            return connection;
          },
        },
        {
          provide: ConfirmPublisher,
          useFactory: (connection: AmqpConnection) =>
            new ConfirmPublisher(connection, options.publishTimeoutMs),
          inject: [AmqpConnection],
        },
        MessagingLifecycle,
      ],
      exports: [AmqpConnection, ConfirmPublisher],
    };
  }
}
