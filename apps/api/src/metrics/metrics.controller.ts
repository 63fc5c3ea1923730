import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { metricsRegistry } from '@app/common';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', metricsRegistry.contentType)
  @Header('cache-control', 'no-store')
  @ApiProduces(metricsRegistry.contentType)
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'notify_messages_accepted_total{source}, notify_deliveries_total{outcome}, notify_delivery_attempt_duration_seconds{outcome}, notify_delivery_backlog, and Node.js process metrics (notify_ prefix).',
  })
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
