import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { healthSchema } from '@app/contracts';
import { MongoHealth } from '@app/dal';
import { AmqpConnection, ConfirmPublisher } from '@app/messaging';
import { ApiJsonResponse } from '../shared/openapi';

type CheckState = 'up' | 'down';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly mongo: MongoHealth,
    private readonly amqp: AmqpConnection,
    private readonly publisher: ConfirmPublisher,
  ) {}

  @Get()
  @ApiOperation({ summary: 'MongoDB and RabbitMQ reachability; 503 names the one that is down' })
  @ApiJsonResponse(200, 'Both up', healthSchema, {
    status: 'ok',
    checks: { mongodb: 'up', rabbitmq: 'up' },
  })
  @ApiJsonResponse(503, 'One is down', healthSchema, {
    status: 'error',
    checks: { mongodb: 'up', rabbitmq: 'down' },
    error: 'rabbitmq down',
  })
  async check(@Res({ passthrough: true }) response: Response) {
    const checks: Record<'mongodb' | 'rabbitmq', CheckState> = {
      mongodb: (await this.mongo.isUp()) ? 'up' : 'down',
      rabbitmq: this.amqp.isConnected && this.publisher.isReady ? 'up' : 'down',
    };
    const down = Object.entries(checks).filter(([, state]) => state === 'down');
    if (down.length > 0) {
      response.status(503);
      return { status: 'error', checks, error: `${down.map(([name]) => name).join(', ')} down` };
    }
    return { status: 'ok', checks };
  }
}
