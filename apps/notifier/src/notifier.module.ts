import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { Clock, LOG_PARAMS, SystemClock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DalModule } from '@app/dal';
import { MessagingModule } from '@app/messaging';
import { buildChannels } from './deliver/build-channels';
import { ChannelRegistry, MapChannelRegistry } from './deliver/channel-registry';
import { DeliveryDispatcher } from './deliver/delivery-dispatcher';
import { FallbackDeliveries } from './deliver/fallback-deliveries';
import { OutcomeWriter } from './deliver/outcome-writer';
import { IntakeConsumer } from './intake/intake.consumer';
import { CircuitBreaker } from './isolation/circuit-breaker';
import { EndpointGate } from './isolation/endpoint-gate';
import { SlotAccountant } from './isolation/slot-accountant';
import { MetricsServer } from './metrics/metrics.server';
import { NotifierLifecycle } from './notifier.lifecycle';
import { DeliveryScheduler } from './scheduler/delivery.scheduler';
import { MessageStatusRepair } from './scheduler/message-status-repair.scheduler';
import { StoreMessagesUseCase } from './store-messages/store-messages.usecase';

@Module({})
export class NotifierModule {
  static forRoot(
    config: NotifierConfig & { mongodbUri: string; secretsKey: Buffer },
  ): DynamicModule {
    return {
      module: NotifierModule,
      imports: [
        LoggerModule.forRoot(LOG_PARAMS),
        ScheduleModule.forRoot(),
        DalModule.forRoot({ uri: config.mongodbUri, secretsKey: config.secretsKey }),
        MessagingModule.forRoot({
          url: config.amqpUrl,
          name: 'notifier',
          publishTimeoutMs: 10_000,
        }),
      ],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        { provide: Clock, useClass: SystemClock },
        {
          provide: ChannelRegistry,
          useFactory: () => new MapChannelRegistry(buildChannels(config)),
        },
        StoreMessagesUseCase,
        FallbackDeliveries,
        SlotAccountant,
        EndpointGate,
        CircuitBreaker,
        OutcomeWriter,
        DeliveryDispatcher,
        DeliveryScheduler,
        MessageStatusRepair,
        IntakeConsumer,
        NotifierLifecycle,
        MetricsServer,
      ],
    };
  }
}
