import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { listQuerySchema, pageOf, refusedDeadLetterViewSchema } from '@app/contracts';
import type { PageRequest } from '@app/dal';
import { Auth } from '../auth/auth.guard';
import { ApiErrors, ApiJsonQuery, ApiJsonResponse } from '../shared/openapi';
import { pageExample, refusedDeadLetterExample } from '../shared/openapi-examples';
import { ZodQueryPipe } from '../shared/zod.pipe';
import { ListRefusedDeadLettersUseCase } from './list-refused-dead-letters/list-refused-dead-letters.usecase';

@ApiTags('dead letters')
@Controller('v1/dead-letters')
@Auth('admin')
@ApiErrors(401, 403)
export class DeadLettersController {
  constructor(private readonly listRefused: ListRefusedDeadLettersUseCase) {}

  @Get('refused')
  @ApiOperation({
    summary: 'Messages intake refused while notify.events.dead was full, newest first',
    description:
      'Kept in a capped collection (the newest 10,000, at most 16 MiB): docs/operations.md "Broker policies".',
  })
  @ApiJsonQuery(listQuerySchema)
  @ApiJsonResponse(
    200,
    'A page of refused dead letters',
    pageOf(refusedDeadLetterViewSchema),
    pageExample(refusedDeadLetterExample),
  )
  @ApiErrors(400)
  list(@Query(new ZodQueryPipe(listQuerySchema)) query: PageRequest) {
    return this.listRefused.execute(query);
  }
}
