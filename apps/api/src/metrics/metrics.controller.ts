import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { metricsRegistry } from '@app/common';
import { ApiErrors } from '../shared/openapi';
import { MetricsTokenGuard } from './metrics-token.guard';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  @Get()
  @UseGuards(MetricsTokenGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ description: 'The metrics, in the Prometheus text format' })
  @ApiErrors(401)
  @Header('content-type', metricsRegistry.contentType)
  @Header('cache-control', 'no-store')
  @ApiProduces(metricsRegistry.contentType)
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'notify_messages_accepted_total{source}, notify_deliveries_total{outcome}, notify_delivery_attempt_duration_seconds{outcome}, notify_delivery_backlog (counted at most once per METRICS_BACKLOG_MAX_AGE), and Node.js process metrics (notify_ prefix). When METRICS_TOKEN is set it is required as "Authorization: Bearer <METRICS_TOKEN>".',
  })
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
