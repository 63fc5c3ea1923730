import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AppErrorFilter, Clock, LOG_PARAMS, SystemClock } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { AppQuotaReader, AppRepository, DalModule, MongoHealth } from '@app/dal';
import { EventTypeCatalog } from '@app/event-catalog';
import { MessagingModule } from '@app/messaging';
import { AppsController } from './apps/apps.controller';
import { CreateAppUseCase } from './apps/create-app/create-app.usecase';
import { GetAppUseCase } from './apps/get-app/get-app.usecase';
import { ListAppsUseCase } from './apps/list-apps/list-apps.usecase';
import { UpdateAppUseCase } from './apps/update-app/update-app.usecase';
import { RotateAppKeyUseCase } from './apps/rotate-app-key/rotate-app-key.usecase';
import { AuthFailureLimiter } from './auth/auth-failure-limiter';
import { AuthGuard } from './auth/auth.guard';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { ListRefusedDeadLettersUseCase } from './dead-letters/list-refused-dead-letters/list-refused-dead-letters.usecase';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { RedeliverDeliveryUseCase } from './deliveries/redeliver-delivery/redeliver-delivery.usecase';
import { CreateEndpointUseCase } from './endpoints/create-endpoint/create-endpoint.usecase';
import { DeleteEndpointUseCase } from './endpoints/delete-endpoint/delete-endpoint.usecase';
import { EndpointsController } from './endpoints/endpoints.controller';
import { GetEndpointUseCase } from './endpoints/get-endpoint/get-endpoint.usecase';
import { ListEndpointsUseCase } from './endpoints/list-endpoints/list-endpoints.usecase';
import { ListOrderingKeysUseCase } from './ordering-keys/list-ordering-keys/list-ordering-keys.usecase';
import { OrderingKeysController } from './ordering-keys/ordering-keys.controller';
import { SkipOrderingKeyUseCase } from './ordering-keys/skip-ordering-key/skip-ordering-key.usecase';
import { RecoverEndpointUseCase } from './endpoints/recover-endpoint/recover-endpoint.usecase';
import { RotateRecipientTokenUseCase } from './endpoints/rotate-recipient-token/rotate-recipient-token.usecase';
import { RotateSecretUseCase } from './endpoints/rotate-secret/rotate-secret.usecase';
import { TargetPolicy } from './endpoints/target-policy';
import { UpdateEndpointUseCase } from './endpoints/update-endpoint/update-endpoint.usecase';
import { ArchiveEventTypeUseCase } from './event-types/archive-event-type/archive-event-type.usecase';
import { EventTypesController } from './event-types/event-types.controller';
import { GetEventTypeUseCase } from './event-types/get-event-type/get-event-type.usecase';
import { ListEventTypesUseCase } from './event-types/list-event-types/list-event-types.usecase';
import { PutEventTypeUseCase } from './event-types/put-event-type/put-event-type.usecase';
import { ValidatePayloadUseCase } from './event-types/validate-payload/validate-payload.usecase';
import { HealthController } from './health/health.controller';
import { AckInboxItemUseCase } from './inbox/ack-inbox-item/ack-inbox-item.usecase';
import { GetInboxItemUseCase } from './inbox/get-inbox-item/get-inbox-item.usecase';
import { InboxController } from './inbox/inbox.controller';
import { ListInboxUseCase } from './inbox/list-inbox/list-inbox.usecase';
import { GetMessageUseCase } from './messages/get-message/get-message.usecase';
import { ListAttemptsUseCase } from './messages/list-attempts/list-attempts.usecase';
import { ListMessagesUseCase } from './messages/list-messages/list-messages.usecase';
import { MessagesController } from './messages/messages.controller';
import { MessageRateLimiter } from './messages/publish-message/message-rate.limiter';
import { PublishMessageUseCase } from './messages/publish-message/publish-message.usecase';
import { RedeliverMessageUseCase } from './messages/redeliver-message/redeliver-message.usecase';
import { BacklogSource } from './metrics/backlog-source';
import { MetricsController } from './metrics/metrics.controller';
import { appErrorOfDal } from './shared/dal-errors';
import { JsonBodiesOnly } from './shared/json-bodies.interceptor';

export type ApiModuleConfig = ApiConfig & {
  mongodbUri: string;
  adminApiKey: string;
  /** From resolveSecretsKey: encrypts webhook secrets at rest. */
  secretsKey: Buffer;
};

@Module({})
export class ApiModule {
  static forRoot(config: ApiModuleConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        LoggerModule.forRoot(LOG_PARAMS),
        DalModule.forRoot({ uri: config.mongodbUri, secretsKey: config.secretsKey }),
        MessagingModule.forRoot({
          urls: config.amqpUrls,
          name: 'api',
          publishTimeoutMs: config.publishTimeoutMs,
        }),
      ],
      controllers: [
        AppsController,
        EndpointsController,
        EventTypesController,
        OrderingKeysController,
        MessagesController,
        DeliveriesController,
        InboxController,
        HealthController,
        MetricsController,
        DeadLettersController,
      ],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: Clock, useClass: SystemClock },
        { provide: APP_FILTER, useValue: new AppErrorFilter(appErrorOfDal) },
        { provide: APP_INTERCEPTOR, useClass: JsonBodiesOnly },
        AuthGuard,
        AuthFailureLimiter,
        TargetPolicy,
        CreateAppUseCase,
        ListAppsUseCase,
        ListRefusedDeadLettersUseCase,
        GetAppUseCase,
        UpdateAppUseCase,
        {
          provide: AppQuotaReader,
          useFactory: (apps: AppRepository, mongo: MongoHealth) =>
            new AppQuotaReader(apps, config.quotas, Date.now, () => mongo.isReadable),
          inject: [AppRepository, MongoHealth],
        },
        RotateAppKeyUseCase,
        BacklogSource,
        CreateEndpointUseCase,
        ListEndpointsUseCase,
        GetEndpointUseCase,
        UpdateEndpointUseCase,
        DeleteEndpointUseCase,
        RotateSecretUseCase,
        RotateRecipientTokenUseCase,
        RecoverEndpointUseCase,
        EventTypeCatalog,
        PutEventTypeUseCase,
        ListEventTypesUseCase,
        GetEventTypeUseCase,
        ArchiveEventTypeUseCase,
        ValidatePayloadUseCase,
        ListOrderingKeysUseCase,
        SkipOrderingKeyUseCase,
        MessageRateLimiter,
        PublishMessageUseCase,
        ListMessagesUseCase,
        GetMessageUseCase,
        ListAttemptsUseCase,
        RedeliverMessageUseCase,
        RedeliverDeliveryUseCase,
        ListInboxUseCase,
        GetInboxItemUseCase,
        AckInboxItemUseCase,
      ],
    };
  }
}
