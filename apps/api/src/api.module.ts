import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppErrorFilter, Clock, SystemClock } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { DalModule } from '@app/dal';
import { MessagingModule } from '@app/messaging';
import { AppsController } from './apps/apps.controller';
import { CreateAppUseCase } from './apps/create-app/create-app.usecase';
import { ListAppsUseCase } from './apps/list-apps/list-apps.usecase';
import { AuthGuard } from './auth/auth.guard';
import { CreateEndpointUseCase } from './endpoints/create-endpoint/create-endpoint.usecase';
import { EndpointsController } from './endpoints/endpoints.controller';
import { TargetPolicy } from './endpoints/target-policy';
import { UpdateEndpointUseCase } from './endpoints/update-endpoint/update-endpoint.usecase';
import { HealthController } from './health/health.controller';
import { GetMessageUseCase } from './messages/get-message/get-message.usecase';
import { ListAttemptsUseCase } from './messages/list-attempts/list-attempts.usecase';
import { MessagesController } from './messages/messages.controller';
import { PublishMessageUseCase } from './messages/publish-message/publish-message.usecase';

export type ApiModuleConfig = ApiConfig & { mongodbUri: string; adminApiKey: string };

@Module({})
export class ApiModule {
  static forRoot(config: ApiModuleConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        DalModule.forRoot({ uri: config.mongodbUri }),
        MessagingModule.forRoot({
          url: config.amqpUrl,
          name: 'api',
          publishTimeoutMs: config.publishTimeoutMs,
        }),
      ],
      controllers: [AppsController, EndpointsController, MessagesController, HealthController],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: Clock, useClass: SystemClock },
        { provide: APP_FILTER, useClass: AppErrorFilter },
        AuthGuard,
        TargetPolicy,
        CreateAppUseCase,
        ListAppsUseCase,
        CreateEndpointUseCase,
        UpdateEndpointUseCase,
        PublishMessageUseCase,
        GetMessageUseCase,
        ListAttemptsUseCase,
      ],
    };
  }
}
