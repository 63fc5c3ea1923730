import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { healthSchema, healthView, liveSchema } from '@app/contracts';
import { MongoHealth } from '@app/dal';
import { AmqpConnection, ConfirmPublisher } from '@app/messaging';
import { ApiJsonResponse } from '../shared/openapi';

const BOTH_UP = { status: 'ok', checks: { mongodb: 'up', rabbitmq: 'up' } } as const;

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
  @ApiJsonResponse(200, 'Both up', healthSchema, BOTH_UP)
  @ApiJsonResponse(503, 'One is down', healthSchema, {
    status: 'error',
    checks: { mongodb: 'up', rabbitmq: 'down' },
    error: 'rabbitmq down',
  })
  async check(@Res({ passthrough: true }) response: Response) {
    return this.answer(response, await this.mongo.isUp());
  }

  @Get('live')
  @ApiOperation({
    summary:
      'Liveness: 200 while the process works (it answers); no dependency is checked, so an election does not get a healthy process restarted',
  })
  @ApiJsonResponse(200, 'The process answers', liveSchema, { status: 'ok' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: 200 when MongoDB has a primary that answers and a broker of AMQP_URL is connected; 503 names the one that is not',
  })
  @ApiJsonResponse(200, 'Ready', healthSchema, BOTH_UP)
  @ApiJsonResponse(
    503,
    'Not ready: MongoDB has no primary, or no broker is connected',
    healthSchema,
    {
      status: 'error',
      checks: { mongodb: 'down', rabbitmq: 'up' },
      error: 'mongodb down',
    },
  )
  async ready(@Res({ passthrough: true }) response: Response) {
    return this.answer(response, await this.mongo.isReady());
  }

  private answer(response: Response, mongodb: boolean) {
    const { httpStatus, body } = healthView({
      mongodb,
      rabbitmq: this.amqp.isConnected && this.publisher.isReady,
    });
    response.status(httpStatus);
    return body;
  }
}
