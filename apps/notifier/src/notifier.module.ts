import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { Clock, LOG_PARAMS } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { AppQuotaReader, AppRepository, DalModule, MONGO_CONNECTION, ServerClock } from '@app/dal';
import type { Connection } from 'mongoose';
import { MessagingModule } from '@app/messaging';
// In the order a message meets them; isolation beside, housekeeping apart.
import { AcceptedMessages } from './intake/accepted-messages';
import { BrokerUserBinding } from './intake/broker-user-binding';
import { DeadLetters } from './intake/dead-letters';
import { IntakeConfirmation } from './intake/intake-confirmation';
import { IntakeConsumer } from './intake/intake.consumer';
import { EndpointCache } from './store-messages/endpoint-cache';
import { EventTypeCatalog } from '@app/event-catalog';
import { EventTypeCheck } from './intake/event-type-check';
import { StaleTargets } from './store-messages/stale-targets';
import { StoreMessagesUseCase } from './store-messages/store-messages.usecase';
import { OrderedDeliveries } from './store-messages/ordered-deliveries';
import { KeyHandOff } from './record-outcomes/key-hand-off';
import { OrderingRepair } from './housekeeping/ordering-repair.scheduler';
import { ClockSync } from './claim/clock-sync.scheduler';
import { DeliveryScheduler } from './claim/delivery.scheduler';
import { AttemptRunner } from './attempt/attempt-runner';
import { AttemptStarts } from './attempt/attempt-starts';
import { buildChannels } from './attempt/build-channels';
import { ChannelRegistry, MapChannelRegistry } from './attempt/channel-registry';
import { DeliveryDispatcher } from './attempt/delivery-dispatcher';
import { FallbackDeliveries } from './record-outcomes/fallback-deliveries';
import { MessageStatusRefresh } from './record-outcomes/message-status-refresh';
import { OutcomeWriter } from './record-outcomes/outcome-writer';
import { RecordOutcomesUseCase } from './record-outcomes/record-outcomes.usecase';
import { ChannelQuota } from './isolation/channel-quota';
import { CircuitBreaker } from './isolation/circuit-breaker';
import { EndpointGate } from './isolation/endpoint-gate';
import { IntakePacer } from './isolation/intake-pacer';
import { Postponements } from './isolation/postponements';
import { SlotAccountant } from './isolation/slot-accountant';
import { OutcomeEvents } from './platform-events/outcome-events';
import { PlatformEvents } from './platform-events/platform-events';
import { MessageStatusRepair } from './housekeeping/message-status-repair.scheduler';
import { RetentionSweeper } from './housekeeping/retention.scheduler';
import { MetricsServer } from './metrics/metrics.server';
import { NotifierLifecycle } from './notifier.lifecycle';

/** What a test may give a notifier besides its configuration. */
export interface NotifierOptions {
  /** The host's clock, which the notifier's ServerClock corrects (default: the system's). */
  localClock?: Clock;
}

@Module({})
export class NotifierModule {
  static forRoot(
    config: NotifierConfig & { mongodbUri: string; secretsKey: Buffer },
    options: NotifierOptions = {},
  ): DynamicModule {
    return {
      module: NotifierModule,
      imports: [
        LoggerModule.forRoot(LOG_PARAMS),
        ScheduleModule.forRoot(),
        DalModule.forRoot({ uri: config.mongodbUri, secretsKey: config.secretsKey }),
        MessagingModule.forRoot({
          urls: config.amqpUrls,
          name: 'notifier',
          publishTimeoutMs: 10_000,
        }),
      ],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        // Claims, leases and every other time the notifier writes follow MongoDB's clock, the
        // one all notifiers share (ADR 0009); measured once before anything starts.
        {
          provide: ServerClock,
          useFactory: async (connection: Connection) => {
            const clock = new ServerClock(connection, options.localClock);
            await clock.sync();
            return clock;
          },
          inject: [MONGO_CONNECTION],
        },
        { provide: Clock, useExisting: ServerClock },
        ClockSync,
        {
          provide: ChannelRegistry,
          useFactory: () => new MapChannelRegistry(buildChannels(config)),
        },
        {
          provide: AppQuotaReader,
          useFactory: (apps: AppRepository) => new AppQuotaReader(apps, config.quotas),
          inject: [AppRepository],
        },
        // intake/
        BrokerUserBinding,
        DeadLetters,
        IntakeConfirmation,
        AcceptedMessages,
        IntakeConsumer,
        // store-messages/
        EndpointCache,
        EventTypeCatalog,
        EventTypeCheck,
        StoreMessagesUseCase,
        StaleTargets,
        OrderedDeliveries,
        // claim/
        DeliveryScheduler,
        // attempt/
        AttemptStarts,
        AttemptRunner,
        DeliveryDispatcher,
        // record-outcomes/
        OutcomeWriter,
        RecordOutcomesUseCase,
        MessageStatusRefresh,
        FallbackDeliveries,
        KeyHandOff,
        // isolation/
        SlotAccountant,
        IntakePacer,
        EndpointGate,
        Postponements,
        ChannelQuota,
        CircuitBreaker,
        // platform-events/
        PlatformEvents,
        OutcomeEvents,
        // housekeeping/
        MessageStatusRepair,
        OrderingRepair,
        RetentionSweeper,
        NotifierLifecycle,
        MetricsServer,
      ],
    };
  }
}
