import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { CHANGE_LEASE_MS } from '@app/common';
import { concatMap, map, timer, type Observable } from 'rxjs';

/**
 * Answers a write of an endpoint's targeting (create, change, delete) CHANGE_LEASE_MS after it
 * was recorded in the change log, not at once: a notifier's intake plans from the endpoints it
 * holds without asking the log while a read of the log's end less than that ago found every
 * change reported (EndpointCache.forIntake). So a message published after this answer is fanned
 * out to the endpoints as changed, whichever notifier takes it. A write answered with an error
 * is answered at once: it promised nothing.
 */
@Injectable()
export class AnswerAfterChangeLease implements NestInterceptor<unknown, unknown> {
  intercept(_context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    return next
      .handle()
      .pipe(concatMap((answer) => timer(CHANGE_LEASE_MS).pipe(map(() => answer))));
  }
}
