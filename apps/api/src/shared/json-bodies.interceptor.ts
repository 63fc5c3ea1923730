import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { AppError, ErrorCode } from '@app/common';

/**
 * Refuses a body not sent as `content-type: application/json` (CONTRACT.md: bodies are JSON).
 * The JSON parser leaves such a body unread, so the route would see none and answer that its
 * fields are missing ("eventType is required") while they are there, in a text/plain body. A
 * request without a body passes whatever its content-type. Runs after the credentials.
 */
@Injectable()
export class JsonBodiesOnly implements NestInterceptor<unknown, unknown> {
  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (hasContent(request) && request.is('application/json') === false) {
      const sent = request.headers['content-type'] ?? 'no content-type';
      throw new AppError(
        ErrorCode.ValidationFailed,
        `The request body came as ${sent}: send it as JSON, with content-type: application/json`,
        [{ field: '(body)', message: 'must be sent as content-type: application/json' }],
      );
    }
    return next.handle();
  }
}

/** Bytes to read: clients send `content-length: 0` and no content-type for a POST without a body. */
function hasContent(request: Request): boolean {
  return (
    request.headers['transfer-encoding'] !== undefined ||
    Number(request.headers['content-length'] ?? 0) > 0
  );
}
