import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TargetGuard, WebhookChannel } from '@app/channels';
import { Clock, SystemClock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DalModule } from '@app/dal';
import { MessagingModule } from '@app/messaging';
import { ChannelRegistry, MapChannelRegistry } from './deliver/channel-registry';
import { DeliveryDispatcher } from './deliver/delivery-dispatcher';
import { OutcomeWriter } from './deliver/outcome-writer';
import { IntakeConsumer } from './intake/intake.consumer';
import { NotifierLifecycle } from './notifier.lifecycle';
import { DeliveryScheduler } from './scheduler/delivery.scheduler';
import { StoreMessagesUseCase } from './store-messages/store-messages.usecase';

@Module({})
export class NotifierModule {
  static forRoot(config: NotifierConfig & { mongodbUri: string }): DynamicModule {
    return {
      module: NotifierModule,
      imports: [
        ScheduleModule.forRoot(),
        DalModule.forRoot({ uri: config.mongodbUri }),
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
          useFactory: () =>
            new MapChannelRegistry(
              new Map([['webhook', new WebhookChannel(new TargetGuard(config.targetAllowlist))]]),
            ),
        },
        StoreMessagesUseCase,
        OutcomeWriter,
        DeliveryDispatcher,
        DeliveryScheduler,
        IntakeConsumer,
        NotifierLifecycle,
      ],
    };
  }
}
