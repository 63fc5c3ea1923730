import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { deliveryViewSchema } from '@app/contracts';
import { Auth, CurrentAppId } from '../auth/auth.guard';
import { TakesNoBody } from '../shared/no-body.interceptor';
import { ApiErrors, ApiId, ApiJsonResponse } from '../shared/openapi';
import { deliveryExample } from '../shared/openapi-examples';
import { RedeliverDeliveryUseCase } from './redeliver-delivery/redeliver-delivery.usecase';

@ApiTags('messages')
@Controller('v1/deliveries')
@Auth('app')
@ApiErrors(401, 403)
export class DeliveriesController {
  constructor(private readonly redeliverDelivery: RedeliverDeliveryUseCase) {}

  @Post(':id/redeliver')
  @TakesNoBody()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Attempt one delivery again now, on a fresh schedule, whatever its status',
  })
  @ApiId('id', 'Delivery id')
  @ApiJsonResponse(202, 'The delivery, pending again', deliveryViewSchema, {
    ...deliveryExample,
    status: 'pending',
    nextAttemptAt: deliveryExample.lastAttemptAt,
    deliveredAt: null,
  })
  @ApiErrors(404)
  redeliver(@CurrentAppId() appId: string, @Param('id') id: string) {
    return this.redeliverDelivery.execute({ appId, deliveryId: id });
  }
}
