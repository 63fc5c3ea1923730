import {
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { ZodPipe } from './zod.pipe';

/** Not a field: an absent body, or `{}`. */
const NO_BODY = new ZodPipe(z.object({}).strict());

/**
 * A route that takes no body (a redelivery, a rotation, a skip, an ack) refuses one with fields,
 * naming them as a strict body's unknown fields are named, rather than ignoring them: a client
 * that sends `{ "endpointIds": [...] }` to a redelivery, or `{ "gracePeriod": 0 }` to a secret
 * rotation, would otherwise have every delivery sent again, or the old secret go on signing for
 * 24 hours, without a word. It runs after the credentials are checked, before the route.
 */
@Injectable()
export class RefuseBody implements NestInterceptor<unknown, unknown> {
  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    NO_BODY.transform(context.switchToHttp().getRequest<Request>().body);
    return next.handle();
  }
}

/** Marks a route that takes no body: see RefuseBody. */
export const TakesNoBody = () => UseInterceptors(RefuseBody);
